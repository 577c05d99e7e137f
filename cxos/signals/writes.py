"""The signal write path: log, edit, change status, assign an owner. Each change commits with its events."""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cxos.clock import utcnow
from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import SignalCreate, SignalUpdate, StatusChange, parse
from cxos.models import Signal, Team, Touchpoint, saved_id
from cxos.routing.router import route_new_signal
from cxos.signals.lifecycle import OWNER_REQUIRED, TRIAGE_STATUSES, can_transition
from cxos.store.audit import apply_changes, editing, record_event, touch
from cxos.store.store import Store
from cxos.vocabulary import Status


def create_signal(store: Store, *, signal_in: SignalCreate | dict[str, Any], actor: Actor) -> Signal:
    """Log one friction point. The same `client_token` twice returns the first signal, never a second."""
    require(actor, "log_signal")
    data = signal_in if isinstance(signal_in, SignalCreate) else parse(SignalCreate, signal_in)
    if data.client_token:
        existing = _by_token(store, data.client_token)
        if existing:
            return existing
    try:
        with store.write() as session:
            _check_touchpoint(session, data.touchpoint_id)
            now = utcnow()
            signal = Signal(
                **data.model_dump(),
                status=Status.NEW.value,
                created_at=now,
                updated_at=now,
                created_by=actor.name,
                updated_by=actor.name,
            )
            session.add(signal)
            session.flush()
            record_event(
                session,
                actor=actor,
                entity="signal",
                entity_id=saved_id(signal),
                action="created",
                to_value=signal.title,
            )
            route_new_signal(session, signal)  # the first matching rule owns it from the start; else triage
            return signal
    except IntegrityError:
        # Two runs raced with one token (PostgreSQL, several replicas): the other one won.
        existing = _by_token(store, data.client_token) if data.client_token else None
        if existing:
            return existing
        raise


def update_signal(
    store: Store, *, signal_id: int, expected_version: int, changes: dict[str, Any], actor: Actor
) -> Signal:
    """Edit a signal's fields. Contributors may edit what they logged; the council may edit any."""
    require(actor, "edit_own_signal")
    parsed = parse(SignalUpdate, changes).model_dump()
    data = {field: parsed[field] for field in changes}  # in the caller's order, so events read naturally
    with editing(store, Signal, signal_id, expected_version, actor) as (session, signal):
        if signal.created_by != actor.name:
            require(actor, "edit_signal")
        if "touchpoint_id" in data:
            _check_touchpoint(session, data["touchpoint_id"])
        apply_changes(session, signal, actor, data)
        return signal


def set_status(
    store: Store,
    *,
    signal_id: int,
    expected_version: int,
    status: str,
    actor: Actor,
    reason: str | None = None,
    duplicate_of_id: int | None = None,
) -> Signal:
    """Move a signal along its lifecycle; won't fix needs a reason, duplicate needs the original."""
    require(actor, "set_status")
    change = parse(StatusChange, {"status": status, "reason": reason, "duplicate_of_id": duplicate_of_id})
    with editing(store, Signal, signal_id, expected_version, actor) as (session, signal):
        current = Status(signal.status)
        target = change.status
        if not can_transition(current, target):
            raise ValidationFailed({"status": f"cannot go from {current.label} to {target.label}"})
        if target in OWNER_REQUIRED and signal.owner_team_id is None:
            raise ValidationFailed({"status": f"{target.label} needs an owner: assign a team first"})
        if target is Status.WONT_FIX and not (change.reason or "").strip():
            raise ValidationFailed({"status_reason": "say why it won't be fixed"})
        if target is Status.NEEDS_INFO and not (change.reason or "").strip():
            raise ValidationFailed({"status_reason": "say what information is needed"})
        updates: dict[str, Any] = {"status": target.value}
        if change.reason:
            updates["status_reason"] = change.reason.strip()
        if target is Status.DUPLICATE:
            updates["duplicate_of_id"] = _check_original(session, signal, change.duplicate_of_id)
        apply_changes(session, signal, actor, updates, action="status")
        return signal


def assign_owner(
    store: Store,
    *,
    signal_id: int,
    expected_version: int,
    team_id: int | None,
    actor: Actor,
    routed_by: str | None = None,
) -> Signal:
    """Give a signal an upstream owner (or send it back to triage with None)."""
    require(actor, "assign_owner")
    with editing(store, Signal, signal_id, expected_version, actor) as (session, signal):
        if team_id is not None:
            team = session.get(Team, team_id)
            if team is None or team.archived:
                raise ValidationFailed({"owner_team_id": f"team #{team_id} does not exist or is archived"})
        elif Status(signal.status) in OWNER_REQUIRED - {Status.ROUTED}:
            # Only a merely routed signal can go back to triage; later states carry work that needs an owner.
            raise ValidationFailed(
                {"owner_team_id": f"a {Status(signal.status).label} signal must keep an owner"}
            )
        updates: dict[str, Any] = {"owner_team_id": team_id}
        if team_id is not None:
            updates |= {"routed_by": routed_by or f"person:{actor.name}", "routed_at": utcnow()}
            if Status(signal.status) in TRIAGE_STATUSES:
                updates["status"] = Status.ROUTED.value
        elif Status(signal.status) not in TRIAGE_STATUSES:
            updates["status"] = Status.NEW.value
        for field, value in updates.items():
            if getattr(signal, field) != value and field in {"owner_team_id", "status"}:
                record_event(
                    session,
                    actor=actor,
                    entity="signal",
                    entity_id=saved_id(signal),
                    action="owner" if field == "owner_team_id" else "status",
                    field=field,
                    from_value=getattr(signal, field),
                    to_value=value,
                    note=updates.get("routed_by") if field == "owner_team_id" else None,
                )
            setattr(signal, field, value)
        touch(signal, actor)
        session.add(signal)
        return signal


def _by_token(store: Store, token: str) -> Signal | None:
    with store.read() as session:
        return session.exec(select(Signal).where(Signal.client_token == token)).first()


def _check_touchpoint(session: Session, touchpoint_id: int) -> None:
    touchpoint = session.get(Touchpoint, touchpoint_id)
    if touchpoint is None or touchpoint.archived:
        raise ValidationFailed({"touchpoint_id": "pick a touchpoint of the journey"})


def _check_original(session: Session, signal: Signal, original_id: int | None) -> int:
    if not original_id or original_id == signal.id:
        raise ValidationFailed({"duplicate_of_id": "name the signal this one duplicates"})
    if session.get(Signal, original_id) is None:
        raise NotFound(f"Signal #{original_id} does not exist.")
    return original_id
