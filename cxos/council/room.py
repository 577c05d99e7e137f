"""Where the meeting is, kept in the database so every screen in the room agrees: the open session's step, when
that step started, who presents, who joined, and a marker that moves whenever anything in the store changes.

The step and the presenter are a pointer, not content: moving them writes an Event but bumps no version, so
nobody's edit of the session is refused because the room moved on. Joining appends under a row lock, like a
decision, so two people arriving at once are both recorded.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.council.sessions import attendees_of, locked_open_session
from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.models import CouncilSession, Event, saved_id
from cxos.store.audit import record_event, touch
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity

STEPS = 6


@dataclass(frozen=True)
class Room:
    """The small row every screen polls: cheap to read, enough to know whether to redraw."""

    session_id: int
    step: int
    step_started_at: datetime | None
    presenter: str
    attendees: tuple[str, ...]
    last_event_id: int  # the newest Event's id: it moves with every change anyone makes

    @property
    def marker(self) -> tuple[int, int, int]:
        """Changes exactly when a screen following the room has something new to show."""
        return (self.session_id, self.step, self.last_event_id)


MEETING_ENTITIES = (EventEntity.COUNCIL_SESSION, EventEntity.COUNCIL_ACTION)


def last_event_id(session: Session) -> int:
    """The newest Event's id (the primary key's maximum: one index lookup)."""
    return session.exec(select(func.max(col(Event.id)))).one() or 0


def last_figures_event_id(session: Session) -> int:
    """The newest Event's id outside the meeting's own rows: the figures the council looks at (pulse, triage,
    failure modes, fixes, loops) change only when it moves, not when the room moves on or someone decides.
    Walks the primary key from the top and stops at the first such event."""
    query = (
        select(col(Event.id))
        .where(col(Event.entity).not_in([str(e) for e in MEETING_ENTITIES]))
        .order_by(col(Event.id).desc())
        .limit(1)
    )
    return session.exec(query).first() or 0


def room(session: Session) -> Room | None:
    """The open session's shared state, or None when no council is open."""
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            col(CouncilSession.id),
            col(CouncilSession.current_step),
            col(CouncilSession.step_started_at),
            col(CouncilSession.presenter),
            col(CouncilSession.attendees),
        )
        .where(CouncilSession.status == "open")
        .order_by(col(CouncilSession.id).desc())
        .limit(1)
    )
    row = session.exec(query).first()
    if row is None:
        return None
    session_id, step, started, presenter, attendees = row
    return Room(
        session_id,
        step,
        started,
        presenter or "",
        tuple(json.loads(attendees or "[]")),
        last_event_id(session),
    )


def move_to_step(store: Store, *, session_id: int, step: int, actor: Actor) -> None:
    """The room goes to `step`; its time box starts now. Whoever moves the room presents from then on."""
    require(actor, "run_council")
    if not 1 <= step <= STEPS:
        raise ValidationFailed({"step": f"a step from 1 to {STEPS}"})
    with store.write() as session:
        council = locked_open_session(session, session_id)
        if council.current_step == step and council.step_started_at is not None:
            return
        record_event(
            session,
            actor=actor,
            entity=EventEntity.COUNCIL_SESSION,
            entity_id=saved_id(council),
            action=EventAction.MOVED,
            field="current_step",
            from_value=council.current_step,
            to_value=step,
        )
        council.current_step, council.step_started_at = step, utcnow()
        _set_presenter(session, council, actor)
        session.add(council)


def present(store: Store, *, session_id: int, actor: Actor) -> None:
    """`actor` drives the shared screen from now on."""
    require(actor, "run_council")
    with store.write() as session:
        council = locked_open_session(session, session_id)
        _set_presenter(session, council, actor)
        session.add(council)


def _set_presenter(session: Session, council: CouncilSession, actor: Actor) -> None:
    if council.presenter == actor.name:
        return
    record_event(
        session,
        actor=actor,
        entity=EventEntity.COUNCIL_SESSION,
        entity_id=saved_id(council),
        action=EventAction.UPDATED,
        field="presenter",
        from_value=council.presenter or None,
        to_value=actor.name,
    )
    council.presenter = actor.name


def join(store: Store, *, session_id: int, actor: Actor) -> bool:
    """Record `actor` among the attendees (once); True when they were not there yet."""
    require(actor, "view")
    with store.write() as session:
        council = locked_open_session(session, session_id)
        names = attendees_of(council)
        if actor.name.lower() in (name.lower() for name in names):
            return False
        council.attendees = json.dumps([*names, actor.name])
        record_event(
            session,
            actor=actor,
            entity=EventEntity.COUNCIL_SESSION,
            entity_id=saved_id(council),
            action=EventAction.UPDATED,
            field="attendees",
            to_value=actor.name,
            note="joined",
        )
        touch(council, actor)
        session.add(council)
        return True
