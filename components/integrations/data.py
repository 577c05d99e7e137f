"""Cached loaders for the Integrations page: tokens, inbox, teams' channels and the notice outbox."""

from datetime import datetime
from typing import Any

from components.common.data import get_store, load_journey, versioned
from cxos.intake import inbox
from cxos.intake.tokens import list_tokens
from cxos.models import InboxItem, IntegrationToken, OutboxNotice, Team, TeamChannel
from cxos.notify.channels import team_channels
from cxos.notify.status import recent_notices, state_counts
from cxos.vocabulary import NoticeKind, TokenScope


@versioned(IntegrationToken)
def load_tokens() -> list[dict[str, Any]]:
    """Every token as the table shows it (never its hash)."""
    return [
        {
            "id": token.id,
            "Integration": token.name,
            "Scope": TokenScope(token.scope).label,
            "Ends in": f"…{token.hint}",
            "Created": _when(token.created_at),
            "Created by": token.created_by,
            "Last used": _when(token.last_used_at) or "never",
            "Revoked": f"{_when(token.revoked_at)} by {token.revoked_by}" if token.revoked_at else "",
        }
        for token in list_tokens(get_store())
    ]


@versioned(InboxItem)
def load_inbox_counts() -> dict[str, int]:
    return inbox.state_counts(get_store())


@versioned(InboxItem, IntegrationToken)
def load_failed_items() -> list[dict[str, Any]]:
    """The inbox items that did not become signals, with their reason and the raw payload."""
    names = {token.id: token.name for token in list_tokens(get_store())}
    return [
        {
            "id": item.id,
            "Received": _when(item.created_at),
            "From": names.get(item.token_id, item.channel) if item.token_id else item.channel,
            "Reason": item.reason,
            "Attempts": item.attempts,
            "payload": item.payload,
        }
        for item in inbox.failed_items(get_store())
    ]


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else ""


@versioned(TeamChannel, Team)
def load_team_channels() -> list[dict[str, Any]]:
    """Every team that is not archived, with its channels and the version to send back with a change."""
    channels = team_channels(get_store())
    return [
        {
            "team_id": team_id,
            "Team": name,
            "slack_webhook_url": channels[team_id].slack_webhook_url if team_id in channels else "",
            "E-mail": channels[team_id].email if team_id in channels else "",
            "version": channels[team_id].version if team_id in channels else 0,
        }
        for team_id, name in load_journey().teams
    ]


@versioned(OutboxNotice)
def load_notice_counts() -> dict[str, int]:
    return {state.value: n for state, n in state_counts(get_store()).items()}


@versioned(OutboxNotice, Team)
def load_notices() -> list[dict[str, Any]]:
    """The newest notices, unsent first, as the table shows them."""
    return [
        {
            "id": line.id,
            "Team": line.team,
            "Channel": line.channel,
            "About": NoticeKind(line.kind).name.replace("_", " ").capitalize(),
            "State": line.state.value,
            "Attempts": line.attempts,
            "Next try": "" if line.sent_at else _when(line.next_attempt_at),
            "Sent": _when(line.sent_at),
            "Error": line.last_error,
        }
        for line in recent_notices(get_store())
    ]
