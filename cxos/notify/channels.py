"""Each team's channels: the Slack incoming-webhook URL and the e-mail address its notices go to."""

from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from cxos.access import is_loopback_host
from cxos.errors import StaleWrite, ValidationFailed
from cxos.fixes.notice_export import mailbox
from cxos.identity import Actor, require
from cxos.models import Team, TeamChannel
from cxos.store.audit import record_event, stale_refusal, touch, versioned_write
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity

URL_MAX = 500


def team_channels(store: Store) -> dict[int, TeamChannel]:
    """Team id → its channels, for the teams that have any set."""
    with store.read() as session:
        return {row.team_id: row for row in session.exec(select(TeamChannel))}


def checked_webhook_url(url: str) -> str:
    """A Slack incoming-webhook URL as it is stored: https (plain http only to this computer, for a relay)."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if len(url) > URL_MAX or not parts.hostname or any(c in url for c in " \r\n\t"):
        raise ValidationFailed({"slack_webhook_url": "is not a URL"})
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback_host(parts.hostname)):
        raise ValidationFailed({"slack_webhook_url": "must start with https:// (Slack gives one)"})
    return url


def set_team_channels(
    store: Store,
    *,
    team_id: int,
    expected_version: int,
    slack_webhook_url: str,
    email: str,
    actor: Actor,
) -> TeamChannel:
    """Set where a team hears about its work; `expected_version` is the version seen (0: none was set)."""
    require(actor, "manage_integrations")
    url = checked_webhook_url(slack_webhook_url)
    address = email.strip()
    if address and mailbox(address) is None:
        raise ValidationFailed({"email": "is not one e-mail address"})
    try:
        with versioned_write(store, actor) as session:
            team = session.get(Team, team_id)
            if team is None:
                raise ValidationFailed({"team_id": f"team #{team_id} does not exist"})
            row = session.exec(
                select(TeamChannel).where(col(TeamChannel.team_id) == team_id).with_for_update()
            ).first()
            if row is None:
                if expected_version:
                    raise ValidationFailed({"team_id": "its channels were removed meanwhile; reload"})
                row = TeamChannel(team_id=team_id, created_by=actor.name, updated_by=actor.name)
            else:
                if row.version != expected_version:
                    raise _stale(row)
                touch(row, actor)
            before = (row.slack_webhook_url, row.email)
            row.slack_webhook_url, row.email = url, address
            session.add(row)
            if before != (url, address):
                record_event(
                    session,
                    actor=actor,
                    entity=EventEntity.TEAM,
                    entity_id=team_id,
                    action=EventAction.UPDATED,
                    field="channels",
                    from_value=_shown(*before),
                    to_value=_shown(url, address),
                )
            session.flush()
            return row
    except IntegrityError:
        # Two admins set a team's first channels at once: the other one's were stored first.
        with store.read() as session:
            first = session.exec(select(TeamChannel).where(col(TeamChannel.team_id) == team_id)).one()
        raise _stale(first) from None


def _stale(row: TeamChannel) -> StaleWrite:
    """A stale refusal recorded on the team (a channel row has no history of its own)."""
    return stale_refusal(
        f"Team #{row.team_id}'s channels",
        by=row.updated_by,
        at=row.updated_at,
        entity=EventEntity.TEAM.value,
        entity_id=row.team_id,
    )


def _shown(url: str, email: str) -> str:
    """The event's record of the channels: the webhook URL is a secret, so only whether one is set."""
    return f"slack {'set' if url else 'none'}, e-mail {email or 'none'}"
