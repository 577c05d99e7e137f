"""Handoffs and black holes: signals bouncing between owners, time with each owner, stale items, backlogs that only grow.

All from the owner and status Events and the signal rows, aggregated in the database and bounded, on
SQLite and PostgreSQL alike. A bounce is an owner change after the first assignment: routed to A, then
moved to B, is one bounce.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from cxos.models import Event, OwnerHistory, Signal, table_of
from cxos.signals.lifecycle import CLOSED, OPEN
from cxos.store import handoff_summary
from cxos.vocabulary import EventEntity

BOUNCE_FLAG = 3
OWNER_FIELD = "owner_team_id"  # every owner change writes an event on this field, whichever service made it
HISTORY = table_of(OwnerHistory)
STALE_DAYS = 14
BACKLOG_WEEKS = 4
MAX_ROWS = 200
# The backlog is work waiting on a team; fixed and closed signals are done, whatever comes next.
# Done work and the backlog, as the summaries that keep the team backlogs count them (one definition).
DONE, BACKLOG = handoff_summary.DONE, handoff_summary.BACKLOG
OPEN_VALUES = [status.value for status in OPEN]
CLOSED_VALUES = {status.value for status in CLOSED}
SIGNAL_COLUMNS = (
    Signal.id,
    Signal.title,
    Signal.status,
    Signal.owner_team_id,
    Signal.touchpoint_id,
    Signal.created_at,
    Signal.updated_at,
)


@dataclass(frozen=True)
class OwnerSpell:
    """One stretch of time a signal spent with one owner (None: in triage)."""

    team_id: int | None
    start: datetime
    end: datetime
    current: bool

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400


@dataclass(frozen=True)
class TeamBacklog:
    team_id: int
    open_now: int
    open_before: int  # reconstructed from the events of the window
    closed: int  # signals of the team moved to fixed or closed in the window

    @property
    def black_hole(self) -> bool:
        """The backlog grows and nothing closes."""
        return self.open_now > self.open_before and self.closed == 0


def bounced_signals(
    session: Session, *, at_least: int = BOUNCE_FLAG, limit: int = MAX_ROWS
) -> list[dict[str, Any]]:
    """Signals with `at_least` bounces, most bounced first, each with its bounce count (from the owner-history
    summary: an index range over the signals with that many owner events, not every owner event)."""
    bounces = (HISTORY.c.owner_events - 1).label("bounces")
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            *SIGNAL_COLUMNS,
            bounces,
        )
        .join(HISTORY, HISTORY.c.signal_id == col(Signal.id))
        .where(HISTORY.c.owner_events >= at_least + 1)
        .order_by(HISTORY.c.owner_events.desc(), col(Signal.id))
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.exec(query)]


def count_bounced(session: Session, *, at_least: int = BOUNCE_FLAG) -> int:
    query = select(func.count()).select_from(HISTORY).where(HISTORY.c.owner_events >= at_least + 1)
    return session.execute(query).scalar_one()


def owner_spells(session: Session, signal_id: int, *, now: datetime) -> list[OwnerSpell]:
    """Time with each owner, from consecutive owner events; the current owner's spell runs until `now`, or until
    the signal was closed (its last change) when it is closed."""
    signal = session.get(Signal, signal_id)
    if signal is None:
        return []
    changes = session.exec(
        select(col(Event.at), col(Event.to_value))
        .where(
            Event.entity == EventEntity.SIGNAL, col(Event.entity_id) == signal_id, Event.field == OWNER_FIELD
        )
        .order_by(col(Event.at), col(Event.id))
    ).all()
    marks = [(signal.created_at, None)] + [(at, int(to) if to else None) for at, to in changes]
    until = signal.updated_at if signal.status in CLOSED_VALUES else now
    spells = []
    for index, (start, team_id) in enumerate(marks):
        last = index == len(marks) - 1
        end = until if last else marks[index + 1][0]
        if end > start or last:
            spells.append(OwnerSpell(team_id, start, max(end, start), current=last))
    return spells


def time_with_owner(spells: list[OwnerSpell]) -> dict[int | None, float]:
    """Days spent with each owner over all spells (None: triage)."""
    totals: dict[int | None, float] = {}
    for spell in spells:
        totals[spell.team_id] = totals.get(spell.team_id, 0.0) + spell.days
    return totals


def stale_signals(
    session: Session, *, now: datetime, days: int = STALE_DAYS, limit: int = MAX_ROWS
) -> list[dict[str, Any]]:
    """Open signals with no change for `days` days, the longest silent first.

    A signal's updated_at is the time of its last event: every change bumps it in the same transaction
    as its event (invariant 2); only a refused attempt writes an event without changing the row.
    """
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            *SIGNAL_COLUMNS,
        )
        .where(*_stale(now, days))
        .order_by(col(Signal.updated_at), col(Signal.id))
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.exec(query)]


def count_stale(session: Session, *, now: datetime, days: int = STALE_DAYS) -> int:
    return session.exec(select(func.count()).select_from(Signal).where(*_stale(now, days))).one()


def _stale(now: datetime, days: int) -> list[Any]:
    return [col(Signal.status).in_(OPEN_VALUES), Signal.updated_at < now - timedelta(days=days)]


def team_backlogs(session: Session, *, now: datetime, weeks: int = BACKLOG_WEEKS) -> list[TeamBacklog]:
    """Per team: its backlog now and `weeks` ago, and what it closed meanwhile; black holes first.

    The backlog of back then is replayed backwards from today's through the window's moves: a signal
    that arrived (owner event to the team) was not there yet, one that left was, one that closed was,
    one that reopened was not. All from the handoffs summaries (cxos/store/handoff_summary.py): the backlog
    now, and the moves of the window's whole UTC days (from the day `weeks` before `now`), counted per day, so
    the cost is the window's days, not the history. A status move counts for the team that owned the signal
    when it moved.
    """
    since = (now - timedelta(weeks=weeks)).date()
    backlog = handoff_summary.backlogs_now(session)
    before = dict(backlog)
    # Owners change while a signal waits (a done signal keeps its owner), so every move counts.
    for from_team, to_team, _, n in handoff_summary.window_rows(session, handoff_summary.OWNER, since):
        _add(before, to_team, -n)
        _add(before, from_team, +n)
    closed: dict[int, int] = {}
    for old, new, team_id, n in handoff_summary.window_rows(session, handoff_summary.STATUS, since):
        if not team_id:
            continue  # in triage when its status moved
        if old in BACKLOG and new in DONE:
            closed[team_id] = closed.get(team_id, 0) + n
            before[team_id] = before.get(team_id, 0) + n
        elif old in DONE and new in BACKLOG:
            before[team_id] = before.get(team_id, 0) - n
    teams = sorted(set(backlog) | set(before) | set(closed))
    rows = [TeamBacklog(t, backlog.get(t, 0), max(before.get(t, 0), 0), closed.get(t, 0)) for t in teams]
    return sorted(rows, key=lambda r: (not r.black_hole, -(r.open_now - r.open_before), r.team_id))


def _add(counts: dict[int, int], team: str | None, delta: int) -> None:
    if team:
        counts[int(team)] = counts.get(int(team), 0) + delta
