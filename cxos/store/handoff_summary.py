"""The handoffs summaries, kept in the transaction of each write: every team's backlog now, and owner and status
moves per day, so the Handoffs page's backlogs read a few rows per day of their window, not the history.

`team_backlog` holds per team how many signals it owns that are not fixed or closed. A write works out, for each
signal it gave an event, the signal's owner and status before the write (the `from_value` of its first owner and
status events, or the row as it is when the write did not change that field; nothing for a signal the write
created) and after it (the row), and adds the difference. `handoff_day` counts the write's owner events per day
by (to, from) and its status events by (from, to, the owner at that moment: the latest owner event before it).

A write that rewrites past events (a test backdating history, a hand-made repair) or that changes signal rows
without any event, or a deleted signal derives the affected summary again from the raw queries
(`rebuild`, also `python -m cxos rebuild-summaries` and the migration that created them).
"""

import re
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, event, func, insert, select, text
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session

from cxos.models import Event, HandoffDay, Signal, TeamBacklog, table_of
from cxos.store.bulk import among
from cxos.vocabulary import EventEntity, Status

OWNER_FIELD, STATUS_FIELD = "owner_team_id", "status"
OWNER, STATUS = "owner", "status"  # handoff_day.kind
# The backlog is work waiting on a team; fixed and closed signals are done (fixed, and cxos/signals/lifecycle.py's
# CLOSED, which this layer does not import: tests/store/test_handoff_summary.py checks that they agree).
DONE = frozenset(
    {Status.FIXED.value, Status.LOOP_CLOSED.value, Status.DUPLICATE.value, Status.WONT_FIX.value}
)
BACKLOG = frozenset(status.value for status in Status) - DONE
REFRESH_CHUNK = 5_000  # signals per statement: well under SQLite's and PostgreSQL's bound-value limits
EVENT, SIGNAL = table_of(Event), table_of(Signal)
BACKLOGS, DAYS = table_of(TeamBacklog), table_of(HandoffDay)
_REWRITTEN = "cxos_events_rewritten"
_REWRITE = re.compile(r'^\s*(?:UPDATE|DELETE\s+FROM)\s+"?event"?\s', re.IGNORECASE)
_ADD_DAY = text(
    "INSERT INTO handoff_day (day, kind, from_value, to_value, team_id, n) "
    "VALUES (:day, :kind, :from_value, :to_value, :team_id, :n) "
    "ON CONFLICT (day, kind, from_value, to_value, team_id) DO UPDATE SET n = handoff_day.n + excluded.n"
)
_ADD_BACKLOG = text(
    "INSERT INTO team_backlog (team_id, open_signals) VALUES (:team_id, :n) "
    "ON CONFLICT (team_id) DO UPDATE SET open_signals = team_backlog.open_signals + excluded.open_signals"
)


def track_event_rewrites(engine: Engine) -> None:
    """Note on the connection when a statement changes or deletes event rows (history edited, not appended)."""

    @event.listens_for(engine, "after_cursor_execute")
    def _note(connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if _REWRITE.match(statement):
            connection.info[_REWRITTEN] = True


def forget_rewrites(session: Session) -> None:
    session.connection().info.pop(_REWRITTEN, None)


def last_signal_id(session: Session) -> int:
    """The newest signal's id when a write begins: a signal after it is one the write created."""
    return session.execute(select(func.max(SIGNAL.c.id))).scalar() or 0


def _day(bind: Any, column: Any) -> Any:
    """The UTC calendar day of a timestamp, in the dialect at hand."""
    if bind.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _day_facts(bind: Any, after_event_id: int | None) -> tuple[Select, Select]:
    """handoff_day's rows, from the events (only those after `after_event_id` when given): owner, then status."""
    since = [EVENT.c.id > after_event_id] if after_event_id is not None else []
    day = _day(bind, EVENT.c.at).label("day")
    moves = (
        select(
            day,
            func.coalesce(EVENT.c.from_value, "").label("from_value"),
            func.coalesce(EVENT.c.to_value, "").label("to_value"),
            func.count().label("n"),
        )
        .where(EVENT.c.entity == EventEntity.SIGNAL.value, EVENT.c.field == OWNER_FIELD, *since)
        .group_by(day, EVENT.c.from_value, EVENT.c.to_value)
    )
    owner = aliased(EVENT)
    owner_then = (
        select(owner.c.to_value)
        .where(
            owner.c.entity == EventEntity.SIGNAL.value,
            owner.c.entity_id == EVENT.c.entity_id,
            owner.c.field == OWNER_FIELD,
            owner.c.id < EVENT.c.id,
        )
        .order_by(owner.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    per_event = (
        select(
            day,
            func.coalesce(EVENT.c.from_value, "").label("from_value"),
            func.coalesce(EVENT.c.to_value, "").label("to_value"),
            func.coalesce(owner_then, "").label("team"),
        )
        .where(EVENT.c.entity == EventEntity.SIGNAL.value, EVENT.c.field == STATUS_FIELD, *since)
        .subquery()
    )
    statuses = select(
        per_event.c.day, per_event.c.from_value, per_event.c.to_value, per_event.c.team, func.count()
    ).group_by(per_event.c.day, per_event.c.from_value, per_event.c.to_value, per_event.c.team)
    return moves, statuses


def _day_rows(session: Session | Connection, after_event_id: int | None) -> list[dict[str, Any]]:
    moves, statuses = _day_facts(
        session.get_bind() if isinstance(session, Session) else session, after_event_id
    )
    rows = [
        {"day": _as_date(d), "kind": OWNER, "from_value": f, "to_value": t, "team_id": 0, "n": n}
        for d, f, t, n in session.execute(moves)
    ]
    rows += [
        {
            "day": _as_date(d),
            "kind": STATUS,
            "from_value": f,
            "to_value": t,
            "team_id": int(team or 0),
            "n": n,
        }
        for d, f, t, team, n in session.execute(statuses)
    ]
    return rows


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _backlog_now() -> Select:
    return (
        select(SIGNAL.c.owner_team_id, func.count())
        .where(SIGNAL.c.owner_team_id.is_not(None), SIGNAL.c.status.in_(sorted(BACKLOG)))
        .group_by(SIGNAL.c.owner_team_id)
    )


def rebuild_backlogs(connection: Session | Connection) -> int:
    connection.execute(delete(BACKLOGS))
    rows = [{"team_id": team, "open_signals": n} for team, n in connection.execute(_backlog_now())]
    if rows:
        connection.execute(insert(BACKLOGS), rows)
    return len(rows)


def rebuild_days(connection: Session | Connection) -> int:
    connection.execute(delete(DAYS))
    rows = _day_rows(connection, None)
    if rows:
        connection.execute(insert(DAYS), rows)
    return len(rows)


def rebuild(connection: Session | Connection) -> dict[str, int]:
    """Both summaries again from the signals and events; their row counts."""
    return {"team_backlog": rebuild_backlogs(connection), "handoff_day": rebuild_days(connection)}


def refresh(session: Session, after_event_id: int, signals_before: int, *, signals_changed: bool) -> None:
    """Bring both summaries up to date with what this write transaction did (see the module docstring)."""
    rewritten = session.connection().info.pop(_REWRITTEN, False)
    # The write's own events, read by id (an index on field and entity would walk every owner event: 1.1 s a
    # write at 1M signals), their signals picked here.
    signal_events = [
        e
        for e in session.execute(
            select(
                EVENT.c.id,
                EVENT.c.entity,
                EVENT.c.entity_id,
                EVENT.c.field,
                EVENT.c.from_value,
                EVENT.c.to_value,
                EVENT.c.at,
            )
            .where(EVENT.c.id > after_event_id)
            .order_by(EVENT.c.id)
        )
        if e.entity == EventEntity.SIGNAL
    ]
    moves = [e for e in signal_events if e.field in (OWNER_FIELD, STATUS_FIELD)]
    if rewritten:
        rebuild_days(session)
    else:
        # Bulk writes too: recounting, or an aggregate over every owner event, in each batch of a large
        # import or demo costs what the history holds each time (the 1M demo: about 100 CPU-s more).
        rows = _day_rows_of(session, moves, after_event_id)
        if rows:
            session.execute(_ADD_DAY, rows)
    if not signals_changed:
        return
    if not signal_events:
        rebuild_backlogs(session)  # rows changed without any event: count them again
        return
    # Owner and status change only with their events; a signal this write created is counted whatever it has.
    ids = sorted(
        {e.entity_id for e in moves} | {e.entity_id for e in signal_events if e.entity_id > signals_before}
    )
    if ids:
        _add_backlog_changes(session, moves, ids, signals_before)


def _day_rows_of(session: Session, events: list[Any], after_event_id: int) -> list[dict[str, Any]]:
    """handoff_day's additions for a write's events, counted here the way `_day_facts` counts them in SQL."""
    with_status = sorted({e.entity_id for e in events if e.field == STATUS_FIELD})
    owner = _owners_before(session, with_status, after_event_id)
    counts: Counter[tuple[date, str, str, str, int]] = Counter()
    for e in events:
        day = _utc_day(e.at)
        if e.field == OWNER_FIELD:
            counts[(day, OWNER, e.from_value or "", e.to_value or "", 0)] += 1
            owner[e.entity_id] = e.to_value
        else:
            team = int(owner.get(e.entity_id) or 0)
            counts[(day, STATUS, e.from_value or "", e.to_value or "", team)] += 1
    return [
        {"day": d, "kind": k, "from_value": f, "to_value": t, "team_id": team, "n": n}
        for (d, k, f, t, team), n in sorted(counts.items())
    ]


def _owners_before(session: Session, signal_ids: list[int], after_event_id: int) -> dict[int, str | None]:
    """Each signal's owner as its latest owner event before the write named it (none: not in the answer)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    owners: dict[int, str | None] = {}
    for start in range(0, len(signal_ids), REFRESH_CHUNK):
        chunk = signal_ids[start : start + REFRESH_CHUNK]
        latest = (
            select(EVENT.c.entity_id, func.max(EVENT.c.id).label("id"))
            .where(
                EVENT.c.entity == EventEntity.SIGNAL.value,
                among(EVENT.c.entity_id, chunk, postgres=postgres),
                EVENT.c.field == OWNER_FIELD,
                EVENT.c.id <= after_event_id,
            )
            .group_by(EVENT.c.entity_id)
            .subquery()
        )
        owners.update(
            session.execute(
                select(EVENT.c.entity_id, EVENT.c.to_value).join(latest, EVENT.c.id == latest.c.id)
            )
            .tuples()
            .all()
        )
    return owners


def _utc_day(at: datetime) -> date:
    return (at.astimezone(UTC) if at.tzinfo else at).date()


def _add_backlog_changes(session: Session, moves: list[Any], ids: list[int], signals_before: int) -> None:
    """Each signal's backlog before the write (its first owner and status events' from_value, else the row as
    it is) taken away, its backlog now added."""
    first_from: dict[tuple[int, str], str | None] = {}
    for e in moves:
        first_from.setdefault((e.entity_id, e.field), e.from_value)
    postgres = session.get_bind().dialect.name == "postgresql"
    now: dict[int, tuple[int | None, str]] = {}
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        for sid, owner, status in session.execute(
            select(SIGNAL.c.id, SIGNAL.c.owner_team_id, SIGNAL.c.status).where(
                among(SIGNAL.c.id, chunk, postgres=postgres)
            )
        ):
            now[sid] = (owner, status)
    if len(now) < len(ids):
        rebuild_backlogs(session)  # a signal was deleted: what it held is known only to a count
        return
    delta: Counter[int] = Counter()
    for sid in ids:
        owner, status = now[sid]
        if sid <= signals_before:  # it existed before this write: take away where it was
            before_owner = first_from.get((sid, OWNER_FIELD), str(owner) if owner is not None else None)
            before_status = first_from.get((sid, STATUS_FIELD), status)
            if before_owner and before_status in BACKLOG:
                delta[int(before_owner)] -= 1
        if owner is not None and status in BACKLOG:
            delta[owner] += 1
    changes = [{"team_id": team, "n": n} for team, n in sorted(delta.items()) if n]
    if changes:
        session.execute(_ADD_BACKLOG, changes)


def backlog_rows(session: Session | Connection) -> list[tuple]:
    """team_backlog as stored, without empty teams (what the tests compare with the raw count)."""
    return sorted(tuple(row) for row in session.execute(select(BACKLOGS).where(BACKLOGS.c.open_signals != 0)))


def day_rows(session: Session | Connection) -> list[tuple]:
    return sorted(tuple(row) for row in session.execute(select(DAYS).where(DAYS.c.n != 0)))


def window_rows(session: Session, kind: str, since: date) -> list[Any]:
    """(from, to, team, n) summed over the days from `since` on."""
    return list(
        session.execute(
            select(DAYS.c.from_value, DAYS.c.to_value, DAYS.c.team_id, func.sum(DAYS.c.n))
            .where(and_(DAYS.c.kind == kind, DAYS.c.day >= since))
            .group_by(DAYS.c.from_value, DAYS.c.to_value, DAYS.c.team_id)
        )
    )


def backlogs_now(session: Session) -> dict[int, int]:
    return {
        team: n
        for team, n in session.execute(
            select(BACKLOGS.c.team_id, BACKLOGS.c.open_signals).where(BACKLOGS.c.open_signals != 0)
        )
    }
