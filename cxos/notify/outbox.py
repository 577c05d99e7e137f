"""The notice outbox: a row per notice, added in the transaction of the change that causes it.

A notice's `dedupe_key` is unique, so the same cause stored twice (a retried write, two sender passes finding
the same overdue fix) is one row, and one row is one message at most. Routed signals wait until their minute
is over, then go to their team as one message per minute (rows of one `batch`).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.models import FailureMode, OutboxNotice, TeamChannel, table_of
from cxos.vocabulary import NoticeChannel, NoticeKind

OUTBOX = table_of(OutboxNotice)
BATCH_SECONDS = 60


def enqueue_routed(
    session: Session, *, routed: Iterable[tuple[int, int | None]], at: datetime | None = None
) -> int:
    """Tell each team about the signals just routed to it: (signal id, team id) pairs, in the routing's
    transaction. The message lists them all, one per team and channel per minute. Returns rows added."""
    pairs = [(signal_id, team_id) for signal_id, team_id in routed if team_id is not None]
    if not pairs:
        return 0
    now = at or utcnow()
    minute = now.replace(second=0, microsecond=0)
    channels = _channels(session, {team_id for _, team_id in pairs})
    rows = [
        _row(
            team_id,
            channel,
            NoticeKind.SIGNALS_ROUTED,
            f"signal-routed:{signal_id}:{team_id}:{channel}:{minute:%Y%m%dT%H%M}",
            ref_id=signal_id,
            batch=f"routed:{team_id}:{channel}:{minute:%Y%m%dT%H%M}",
            not_before=minute + timedelta(seconds=BATCH_SECONDS),  # the minute's batch is complete by then
            now=now,
        )
        for signal_id, team_id in pairs
        for channel in channels.get(team_id, ())
    ]
    return add_notices(session, rows)


def enqueue_failure_mode_assigned(
    session: Session, *, mode: FailureMode, previous_team_id: int | None
) -> int:
    """Tell a failure mode's new owner it is theirs (nothing when the owner did not change)."""
    team_id = mode.owner_team_id
    if team_id is None or team_id == previous_team_id or mode.id is None:
        return 0
    now = utcnow()
    body = f"Failure mode #{mode.id} is now your team's: {mode.name}"
    if mode.upstream_cause:
        body += f"\nUpstream cause: {mode.upstream_cause}"
    rows = [
        _row(
            team_id,
            channel,
            NoticeKind.FAILURE_MODE_ASSIGNED,
            f"failure-mode-assigned:{mode.id}:{team_id}:{channel}:{mode.version}",
            ref_id=mode.id,
            body=body,
            now=now,
        )
        for channel in _channels(session, {team_id}).get(team_id, ())
    ]
    return add_notices(session, rows)


def notice_row(
    session: Session,
    *,
    team_id: int,
    kind: NoticeKind,
    key: str,
    body: str,
    ref_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows of one notice to a team, one per channel it has (the channel ends the dedupe key)."""
    return [
        _row(team_id, channel, kind, f"{key}:{channel}", ref_id=ref_id, body=body, now=now)
        for channel in _channels(session, {team_id}).get(team_id, ())
    ]


def destinations(row: TeamChannel | None) -> dict[NoticeChannel, str]:
    """Where a team's notices go: each channel it has set → its address."""
    if row is None:
        return {}
    found = {NoticeChannel.SLACK: row.slack_webhook_url, NoticeChannel.EMAIL: row.email}
    return {channel: address for channel, address in found.items() if address}


def add_notices(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose dedupe key is new; a key already stored is skipped, never sent twice."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = session.connection().execute(statement, rows)
    return max(result.rowcount, 0)


def _channels(session: Session, team_ids: set[int]) -> dict[int, list[NoticeChannel]]:
    found = session.exec(select(TeamChannel).where(col(TeamChannel.team_id).in_(team_ids)))
    return {row.team_id: list(destinations(row)) for row in found}


def _row(
    team_id: int,
    channel: NoticeChannel,
    kind: NoticeKind,
    key: str,
    *,
    now: datetime,
    ref_id: int | None,
    body: str = "",
    batch: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    return {
        "created_at": now,
        "created_by": "outbox",
        "updated_at": now,
        "updated_by": "outbox",
        "version": 1,
        "team_id": team_id,
        "channel": channel.value,
        "kind": kind.value,
        "dedupe_key": key,
        "batch": batch,
        "ref_id": ref_id,
        "body": body,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "last_error": "",
        "claim": None,
        "claimed_until": None,
        "sent_at": None,
    }
