"""Cached loaders for the council page, keyed by the data versions of the tables they read
(components/common/data.py `versioned`): the shared screen polls and sees what attendees changed from their
laptops; nothing unchanged is read again. The change marker `_changed` that `load_room` reads on every run is
passed along but is not part of a key (as with st.cache_data, a leading underscore leaves it out)."""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import select

from components.common.data import get_store, versioned
from cxos.council import minutes
from cxos.council import pulse as council_pulse
from cxos.council import room as council_room
from cxos.council import sessions as council
from cxos.council import triage as council_triage
from cxos.fixes import lifecycle as fixes
from cxos.fixes import loops
from cxos.models import (
    CouncilAction,
    CouncilSession,
    Event,
    FailureMode,
    Fix,
    LoopNotice,
    OwnerHistory,
    Signal,
    Touchpoint,
)
from cxos.routing import handoffs, owner_model
from cxos.vocabulary import EventAction, EventEntity


@dataclass(frozen=True)
class Here:
    """What this run of the page knows about the room: the open session's shared state (None when no council
    is open), the store's change marker, and the marker of the figures (everything but the meeting's rows)."""

    room: council_room.Room | None
    changed: int
    figures_changed: int


def load_room() -> Here:
    """Read on every run and every poll: one small row and two newest-event lookups."""
    with get_store().read() as session:
        room = council_room.room(session)
        changed = room.last_event_id if room else council_room.last_event_id(session)
        return Here(room, changed, council_room.last_figures_event_id(session))


@dataclass(frozen=True)
class SessionView:
    id: int
    version: int
    held_on: date
    status: str
    attendees: tuple[str, ...]
    decisions: tuple[council.Decision, ...]
    minutes: str
    closed_at: datetime | None


@dataclass(frozen=True)
class CouncilState:
    current: SessionView | None  # the open session
    since: datetime  # the last closed session's close, or 7 days ago


def _view(row: Any) -> SessionView:
    return SessionView(
        row.id,
        row.version,
        row.held_on,
        row.status,
        tuple(json.loads(row.attendees or "[]")),
        tuple(council.decisions_of(row)),
        row.minutes,
        row.closed_at,
    )


@versioned(CouncilSession, max_entries=20)
def load_council_state(now: datetime, _changed: int) -> CouncilState:
    with get_store().read() as session:
        running = council.open_session(session)
        return CouncilState(_view(running) if running else None, council.since_last_council(session, now=now))


@versioned(Signal, OwnerHistory, Fix, Touchpoint, max_entries=20)
def load_pulse(since: datetime, now: datetime, _changed: int) -> council_pulse.Pulse:
    with get_store().read() as session:
        return council_pulse.pulse(session, since=since, now=now)


def ready_suggester() -> tuple[Any, object]:
    """The stored owner model's predictions (None before the background worker has stored one) and the model's
    training time, a key that changes when a retrained one is stored. Pages never train: this only reads."""
    suggester = owner_model.suggester_for(get_store())
    model = getattr(suggester, "model", None)
    return suggester, getattr(model, "trained_at", None)


@versioned(Signal, OwnerHistory, max_entries=20)
def load_waiting(
    since: datetime, _changed: int, model_key: object
) -> tuple[list[dict[str, Any]], dict[str, int], dict[int, council_triage.OwnerGuess]]:
    """The waiting signals, how many wait, and the owner each starts from (a rule's, or the model's guess);
    `model_key` says which model the guesses came from."""
    suggester, _ = ready_suggester()
    with get_store().read() as session:
        rows = council_triage.waiting_signals(session, since=since)
        return (
            rows,
            council_triage.count_waiting(session, since=since),
            council_triage.owner_guesses(session, rows, suggester=suggester),
        )


@versioned(FailureMode, Signal, Fix, max_entries=20)
def load_ranked(now: datetime, _changed: int) -> list[council_pulse.RankedFailureMode]:
    with get_store().read() as session:
        return council_pulse.ranked_failure_modes(session, now=now)


@versioned(Fix, Signal, max_entries=20)
def load_in_flight(now: datetime, _changed: int) -> tuple[list[fixes.FixRow], list[int]]:
    """Fixes in flight, and the teams whose backlog grows while nothing closes (black holes)."""
    with get_store().read() as session:
        holes = [b.team_id for b in handoffs.team_backlogs(session, now=now) if b.black_hole]
        return fixes.fixes_in_flight(session, now=now), holes


@versioned(Fix, max_entries=20)
def load_fix_updates(fix_ids: tuple[int, ...], _changed: int) -> dict[int, tuple[datetime, str, str]]:
    """Each fix's latest owner update: (when, who, note)."""
    if not fix_ids:
        return {}
    with get_store().read() as session:
        rows = session.exec(
            select(Event.entity_id, Event.at, Event.actor, Event.note)
            .where(
                Event.entity == EventEntity.FIX,
                Event.entity_id.in_(fix_ids),
                Event.action == EventAction.UPDATE,
            )
            .order_by(Event.id)
        )
        return {fix_id: (at, actor, note or "") for fix_id, at, actor, note in rows}


@dataclass(frozen=True)
class LoopView:
    fix: fixes.ShippedFix
    reporters: tuple[tuple[str, str, str], ...]  # (reporter, account, signal title), one per reporter
    notices: tuple[tuple[int, str, str, str], ...]  # (id, recipient, status, body)


@versioned(Fix, LoopNotice, Signal, max_entries=20)
def load_loops(
    since: datetime, _changed: int, limit: int = 200, earlier: int = 2
) -> tuple[list[LoopView], list[LoopView]]:
    """Fixes shipped since the last council; and a few shipped before it whose notices are not all sent yet."""
    with get_store().read() as session:
        every = fixes.fixes_shipped_since(session, since=since - timedelta(days=365))
        recent = [f for f in every if f.shipped_at >= since]
        owed = [f for f in every if f.shipped_at < since and f.notices_sent < f.notices_drafted][:earlier]
        return _loop_views(session, recent, limit), _loop_views(session, owed, limit)


def _loop_views(session: Any, shipped_fixes: list[fixes.ShippedFix], limit: int) -> list[LoopView]:
    out = []
    for shipped in shipped_fixes:
        seen: dict[str, tuple[str, str, str]] = {}
        query = (
            select(Signal.reporter, Signal.account, Signal.title)
            .where(Signal.failure_mode_id == shipped.failure_mode_id)
            .order_by(Signal.created_at)
            .limit(limit)
        )
        for reporter, account, title in session.exec(query):
            who = (reporter or account or "").strip()
            if who:
                seen.setdefault(who, (who, account or "", title))
        notices = tuple(
            (n.id, n.recipient, n.status, n.body) for n in loops.notices_for_fix(session, shipped.fix_id)
        )
        out.append(LoopView(shipped, tuple(seen.values()), notices))
    return out


@versioned(CouncilSession, CouncilAction, Signal, Fix, FailureMode, max_entries=20)
def load_minutes(session_id: int, pulse_line: str, _changed: int) -> minutes.MinutesInput:
    with get_store().read() as session:
        row = session.get(CouncilSession, session_id)
        return minutes.minutes_input(session, row, pulse_line=pulse_line)


@versioned(CouncilSession, CouncilAction)
def load_history() -> tuple[list[SessionView], list[CouncilAction], dict[int, tuple[str, datetime]]]:
    """Past sessions, every action, and who last changed each action's status and when."""
    with get_store().read() as session:
        sessions = [_view(s) for s in council.past_sessions(session)]
        actions = council.actions_of(session)
        changes = session.exec(
            select(Event.entity_id, Event.actor, Event.at)
            .where(Event.entity == EventEntity.COUNCIL_ACTION, Event.field == "status")
            .order_by(Event.id)
        )
        return sessions, actions, {action_id: (actor, at) for action_id, actor, at in changes}
