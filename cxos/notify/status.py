"""What the outbox holds, as the Integrations page shows it: pending, sent, failing (with the error)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from cxos.models import OutboxNotice, Team
from cxos.store.store import Store
from cxos.vocabulary import NoticeState

SHOWN = 200


@dataclass(frozen=True)
class NoticeLine:
    id: int
    team: str
    channel: str
    kind: str
    state: NoticeState
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str


def state_of(notice: OutboxNotice) -> NoticeState:
    if notice.sent_at is not None:
        return NoticeState.SENT
    return NoticeState.FAILING if notice.attempts else NoticeState.PENDING


def recent_notices(store: Store, *, limit: int = SHOWN) -> list[NoticeLine]:
    """The newest notices, unsent ones first (what needs a look)."""
    with store.read() as session:
        teams = dict(session.exec(select(Team.id, Team.name)).all())
        rows = session.exec(
            select(OutboxNotice)
            .order_by(col(OutboxNotice.sent_at).is_not(None), col(OutboxNotice.id).desc())
            .limit(limit)
        ).all()
    return [
        NoticeLine(
            id=row.id or 0,
            team=teams.get(row.team_id, f"#{row.team_id}"),
            channel=row.channel,
            kind=row.kind,
            state=state_of(row),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
            last_error=row.last_error,
        )
        for row in rows
    ]


def state_counts(store: Store) -> dict[NoticeState, int]:
    """How many notices are pending, sent and failing (unsent after a failed try)."""
    unsent = col(OutboxNotice.sent_at).is_(None)
    where: dict[NoticeState, list[ColumnElement[bool]]] = {
        NoticeState.PENDING: [unsent, col(OutboxNotice.attempts) == 0],
        NoticeState.SENT: [col(OutboxNotice.sent_at).is_not(None)],
        NoticeState.FAILING: [unsent, col(OutboxNotice.attempts) > 0],
    }
    with store.read() as session:
        return {
            state: session.exec(select(func.count()).select_from(OutboxNotice).where(*conditions)).one()
            for state, conditions in where.items()
        }
