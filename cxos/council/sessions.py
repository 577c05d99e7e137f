"""Council sessions: start one, name who attends, record decisions and actions, close it with its minutes.

"Since the last council" is since the last closed session closed (first time: the last 7 days). Every
change writes its Event in the same transaction. Several people act on one open session at once, so its
changes merge rather than refuse: decisions are appended under a row lock, an attendee edit applies what the
person changed to the list as it is, and closing (cxos/council/closing.py) writes the minutes from the row
as stored. `close_session` with a version is kept for callers that saved minutes of their own.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import storable_field, storable_fields
from cxos.models import CouncilAction, CouncilSession, Team, saved_id
from cxos.store.audit import add_created, apply_changes, editing, record_event, touch
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity

FIRST_WINDOW = timedelta(days=7)
ACTION_STATUSES = ("open", "done", "dropped")
TEXT_MAX = 2_000


@dataclass(frozen=True)
class Decision:
    text: str
    owner: str
    due: date | None

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "owner": self.owner, "due": self.due.isoformat() if self.due else None}


def decisions_of(council: CouncilSession) -> list[Decision]:
    return [
        Decision(
            d.get("text", ""), d.get("owner", ""), date.fromisoformat(d["due"]) if d.get("due") else None
        )
        for d in json.loads(council.decisions or "[]")
    ]


def attendees_of(council: CouncilSession) -> list[str]:
    return list(json.loads(council.attendees or "[]"))


def open_session(session: Session) -> CouncilSession | None:
    """The council meeting under way, if any (the newest open one)."""
    query = (
        select(CouncilSession).where(CouncilSession.status == "open").order_by(col(CouncilSession.id).desc())
    )
    return session.exec(query).first()


def last_closed(session: Session) -> CouncilSession | None:
    query = (
        select(CouncilSession)
        .where(CouncilSession.status == "closed")
        .order_by(col(CouncilSession.closed_at).desc(), col(CouncilSession.id).desc())
    )
    return session.exec(query).first()


def since_last_council(session: Session, *, now: datetime) -> datetime:
    closed = last_closed(session)
    return closed.closed_at if closed and closed.closed_at else now - FIRST_WINDOW


def past_sessions(session: Session, *, limit: int = 50) -> list[CouncilSession]:
    query = (
        select(CouncilSession)
        .where(CouncilSession.status == "closed")
        .order_by(col(CouncilSession.held_on).desc(), col(CouncilSession.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def actions_of(
    session: Session, *, session_ids: list[int] | None = None, status: str | None = None
) -> list[CouncilAction]:
    query = select(CouncilAction).order_by(col(CouncilAction.due_on), col(CouncilAction.id))
    if session_ids is not None:
        query = query.where(col(CouncilAction.session_id).in_(session_ids))
    if status:
        query = query.where(CouncilAction.status == status)
    return list(session.exec(query))


def start_session(
    store: Store,
    *,
    actor: Actor,
    attendees: list[str] | tuple[str, ...] = (),
    held_on: date | None = None,
    step: int = 1,
) -> CouncilSession:
    """Open this week's council on `step` (its time box starts now), presented by `actor`; when one is already
    open (someone else started it), that one is returned."""
    require(actor, "run_council")
    with store.write() as session:
        running = open_session(session)
        if running is not None:
            return running
        now = utcnow()
        names = _names(attendees)
        council = CouncilSession(
            held_on=held_on or now.date(),
            attendees=json.dumps(names),
            created_at=now,
            updated_at=now,
            created_by=actor.name,
            updated_by=actor.name,
            current_step=step,
            step_started_at=now,
            presenter=actor.name,  # whoever opens the council presents until someone else takes over
        )
        add_created(
            session,
            council,
            actor=actor,
            entity=EventEntity.COUNCIL_SESSION,
            to_value=council.held_on,
            note=", ".join(names) or None,
        )
        return council


def set_attendees(
    store: Store, *, session_id: int, seen: list[str], attendees: list[str], actor: Actor
) -> CouncilSession:
    """Apply what the person changed in the list they saw (`seen` → `attendees`) to the list as it is now, so
    someone who joined meanwhile stays recorded and nobody's edit of the list is refused."""
    require(actor, "run_council")
    with store.write() as session:
        council = locked_open_session(session, session_id)
        before = attendees_of(council)
        removed = {name.lower() for name in _names(seen)} - {name.lower() for name in _names(attendees)}
        names = _names([*(n for n in before if n.lower() not in removed), *attendees])
        apply_changes(session, council, actor, {"attendees": json.dumps(names)})
        return council


def add_decision(
    store: Store, *, session_id: int, text: str, owner: str, due_on: date | None, actor: Actor
) -> CouncilSession:
    """Append one decision. Appending under a row lock cannot overwrite anyone's decision, so it needs no
    version from the caller: two people deciding at once both get their decision recorded."""
    require(actor, "run_council")
    decision = _decision(text, owner, due_on)
    with store.write() as session:
        council = locked_open_session(session, session_id)
        decisions = [*json.loads(council.decisions or "[]"), decision.as_json()]
        council.decisions = json.dumps(decisions)
        record_event(
            session,
            actor=actor,
            entity=EventEntity.COUNCIL_SESSION,
            entity_id=saved_id(council),
            action=EventAction.DECIDED,
            field="decisions",
            to_value=decision.text,
            note=_owner_note(decision.owner, decision.due),
        )
        touch(council, actor)
        session.add(council)
        return council


def locked_open_session(session: Session, session_id: int) -> CouncilSession:
    """The session's row, locked for this write transaction; refused when it is missing or already closed."""
    council = session.exec(
        select(CouncilSession).where(CouncilSession.id == session_id).with_for_update()
    ).first()
    if council is None:
        raise NotFound(f"Council session #{session_id} does not exist.")
    _still_open(council)
    return council


def add_action(
    store: Store,
    *,
    session_id: int,
    text: str,
    owner: str,
    due_on: date | None,
    actor: Actor,
    owner_team_id: int | None = None,
    signal_id: int | None = None,
    failure_mode_id: int | None = None,
    fix_id: int | None = None,
) -> CouncilAction:
    """An action the council agreed on, with who owns it and by when.

    Append-only: each action is a new row, so two people adding actions at once both keep theirs; changes to
    an action afterwards go through `set_action_status`, against the version seen.
    """
    require(actor, "run_council")
    decision = _decision(text, owner, due_on)
    with store.write() as session:
        council = session.get(CouncilSession, session_id)
        if council is None:
            raise NotFound(f"Council session #{session_id} does not exist.")
        _still_open(council)
        if owner_team_id is not None and session.get(Team, owner_team_id) is None:
            raise ValidationFailed({"owner_team_id": f"team #{owner_team_id} does not exist"})
        now = utcnow()
        action = CouncilAction(
            session_id=session_id,
            text=decision.text,
            owner=decision.owner,
            owner_team_id=owner_team_id,
            due_on=due_on,
            signal_id=signal_id,
            failure_mode_id=failure_mode_id,
            fix_id=fix_id,
            created_at=now,
            updated_at=now,
            created_by=actor.name,
            updated_by=actor.name,
        )
        add_created(
            session,
            action,
            actor=actor,
            entity=EventEntity.COUNCIL_ACTION,
            to_value=action.text,
            note=_owner_note(action.owner, action.due_on),
        )
        return action


def set_action_status(
    store: Store, *, action_id: int, expected_version: int, status: str, actor: Actor
) -> CouncilAction:
    """Mark an action done or dropped (or open again); who and when go into its history."""
    require(actor, "run_council")
    if status not in ACTION_STATUSES:
        raise ValidationFailed({"status": f"an action is {', '.join(ACTION_STATUSES)}"})
    with editing(store, CouncilAction, action_id, expected_version, actor) as (session, action):
        closed_at = None if status == "open" else (action.closed_at or utcnow())
        apply_changes(
            session, action, actor, {"status": status, "closed_at": closed_at}, action=EventAction.STATUS
        )
        return action


def close_session(
    store: Store, *, session_id: int, expected_version: int, minutes: str, actor: Actor
) -> CouncilSession:
    """Save the minutes and close the session: the next council's "since the last council" starts here."""
    require(actor, "run_council")
    with editing(store, CouncilSession, session_id, expected_version, actor) as (session, council):
        _still_open(council)
        apply_changes(
            session,
            council,
            actor,
            {"minutes": minutes, "status": "closed", "closed_at": utcnow()},
            action=EventAction.CLOSED,
        )
        return council


def _still_open(council: CouncilSession) -> None:
    if council.status != "open":
        closed = f" by {council.updated_by} at {council.closed_at:%H:%M} UTC" if council.closed_at else ""
        raise ValidationFailed(
            {
                "status": f"the council of {council.held_on:%d %b %Y} was already closed{closed}; nothing was saved"
            }
        )


def _names(attendees: list[str] | tuple[str, ...]) -> list[str]:
    seen: dict[str, str] = {}
    for raw in storable_field("attendees", [str(raw) for raw in attendees], name=True):
        name = " ".join(str(raw).split())
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def _decision(text: str, owner: str, due_on: date | None) -> Decision:
    given = storable_fields({"text": str(text or ""), "owner": str(owner or "")}, names={"owner"})
    text, owner = " ".join(given["text"].split()), " ".join(given["owner"].split())
    problems = {}
    if not text:
        problems["text"] = "say what was decided"
    elif len(text) > TEXT_MAX:
        problems["text"] = f"at most {TEXT_MAX} characters"
    if not owner:
        problems["owner"] = "name who owns it"
    if problems:
        raise ValidationFailed(problems)
    return Decision(text, owner, due_on)


def _owner_note(owner: str, due: date | None) -> str:
    return f"owner {owner}" + (f", due {due.isoformat()}" if due else "")
