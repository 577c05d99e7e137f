"""The one door for signal rows: every insert or change of a signal, one or a batch, is a function here.

Functions that take a `store` open their own write transaction (log, edit, set status, assign or confirm
an owner). Functions that take a `session` write inside the caller's transaction, never commit, and flush
before they return, so a signal's change and its events always commit together. Which status a signal may
move to, and what comes with it, is decided by `cxos.signals.lifecycle.status_change`; events are built by
`cxos.store.audit.event_row`. The suite fails when any other module writes the signal table.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.errors import CxosError, NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import SignalCreate, SignalUpdate, StatusChange, parse
from cxos.models import (
    SIGNAL_REFERENCE_KEY,
    Event,
    FailureMode,
    Signal,
    Team,
    Touchpoint,
    id_col,
    saved_id,
    table_of,
)
from cxos.notify.outbox import enqueue_routed
from cxos.routing.decision import ROUTER, Decision
from cxos.signals import drivers
from cxos.signals.arrival import arrival_router, understood
from cxos.signals.lifecycle import OWNER_REQUIRED, TRIAGE_STATUSES, status_change
from cxos.store.audit import (
    apply_changes,
    editing,
    event_row,
    last_change,
    record_event,
    record_refusal,
    stale_write,
    touch,
)
from cxos.store.bulk import insert_many, roomy_sqlite_cache
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, RoutedBy, Status

SIGNALS, EVENTS = table_of(Signal), table_of(Event)


# --- one signal, its own transaction -----------------------------------------------------------------


def create_signal(store: Store, *, signal_in: SignalCreate | dict[str, Any], actor: Actor) -> Signal:
    """Log one friction point. The same `client_token` twice returns the first signal, never a second."""
    require(actor, "log_signal")
    data = signal_in if isinstance(signal_in, SignalCreate) else parse(SignalCreate, signal_in)
    if data.client_token:
        existing = _by_token(store, data.client_token)
        if existing:
            return existing
    router = arrival_router(store)
    try:
        with store.write() as session:
            _check_touchpoint(session, data.touchpoint_id)
            now = utcnow()
            signal = Signal(
                **understood(data.model_dump()),  # its drivers read from its words, before the rules see it
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
                entity=EventEntity.SIGNAL,
                entity_id=saved_id(signal),
                action=EventAction.CREATED,
                to_value=signal.title,
            )
            decision = router.decide(signal)  # a rule, else a confident model, owns it from the start
            if decision.team_id is not None:
                route_one(session, signal=signal, decision=decision)
            return signal
    except IntegrityError as clash:
        # Two runs raced with one token (PostgreSQL, several replicas): the other one won.
        existing = _by_token(store, data.client_token) if data.client_token else None
        if existing:
            return existing
        if is_reference_clash(clash):
            raise _reference_taken(store, data.source, data.external_ref) from None
        raise


def update_signal(
    store: Store, *, signal_id: int, expected_version: int, changes: dict[str, Any], actor: Actor
) -> Signal:
    """Edit a signal's fields. Contributors may edit what they logged; the council may edit any."""
    require(actor, "edit_own_signal")
    parsed = parse(SignalUpdate, changes).model_dump()
    data = {field: parsed[field] for field in changes}  # in the caller's order, so events read naturally
    claimed: tuple[str, str | None] = ("", None)  # the (source, reference) the edited signal would have
    try:
        with editing(store, Signal, signal_id, expected_version, actor) as (session, signal):
            if signal.created_by != actor.name:
                require(actor, "edit_signal")
            if "touchpoint_id" in data:
                _check_touchpoint(session, data["touchpoint_id"])
            claimed = (data.get("source", signal.source), data.get("external_ref", signal.external_ref))
            labels = drivers.labels_after_edit(signal, data)  # read before the edit changes the drivers
            if apply_changes(session, signal, actor, data) and labels:
                # The driver changes have their own events; the labels only remember that a person chose.
                signal.driver_labels = labels["driver_labels"]
            session.flush()  # a reference another signal of its source has is refused here, by the database
            return signal
    except IntegrityError as clash:
        if is_reference_clash(clash):
            raise _reference_taken(store, *claimed) from None
        raise


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
        updates = status_change(
            current=Status(signal.status),
            target=change.status,
            owner_team_id=signal.owner_team_id,
            reason=change.reason,
            duplicate_of_id=change.duplicate_of_id,
            signal_id=signal.id,
        )
        if "duplicate_of_id" in updates and session.get(Signal, updates["duplicate_of_id"]) is None:
            raise NotFound(f"Signal #{updates['duplicate_of_id']} does not exist.")
        apply_changes(session, signal, actor, updates, action=EventAction.STATUS)
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
        _give_owner(session, signal, team_id, actor, routed_by)
        return signal


def confirm_owner(store: Store, *, signal_id: int, expected_version: int, actor: Actor) -> Signal:
    """The council agrees with the owner a rule or the model chose: an event, no owner change."""
    require(actor, "assign_owner")
    with editing(store, Signal, signal_id, expected_version, actor) as (session, signal):
        _confirm_owner(session, signal, actor)
        return signal


def accept_owners(
    store: Store, *, items: Sequence[tuple[int, int]], owners: dict[int, int], actor: Actor
) -> tuple[list[int], list[tuple[int, str]]]:
    """The council takes the suggested owner of each (signal id, version seen), in one write transaction: a
    kept owner is confirmed, another is given (as `confirm_owner` / `assign_owner` would, one by one). A signal
    changed since it was seen, gone, or without a suggestion is refused on its own, with the message its own
    write would give, and the refusal recorded on it; the others go on. The ids done, and (id, why) refused."""
    require(actor, "assign_owner")
    done: list[int] = []
    refused: list[tuple[int, str]] = []
    with store.write() as session:
        ids = [signal_id for signal_id, _ in items]
        locked = {
            saved_id(row): row
            for row in session.exec(select(Signal).where(col(Signal.id).in_(ids)).with_for_update())
        }  # one read for the lot, locked for the transaction as `editing` locks one
        for signal_id, seen in items:
            try:
                # Every check below raises before the row is changed, so a refusal leaves nothing behind.
                if signal_id not in owners:
                    raise ValidationFailed(
                        {"owner_team_id": f"signal #{signal_id} has no suggested owner; choose one"}
                    )
                signal = locked.get(signal_id)
                if signal is None:
                    raise NotFound(f"Signal #{signal_id} does not exist.")
                if signal.version != seen:
                    stale = stale_write(signal, change=last_change(session, EventEntity.SIGNAL, signal_id))
                    record_refusal(session, actor, EventEntity.SIGNAL, signal_id, stale)
                    raise stale
                if signal.owner_team_id == owners[signal_id]:
                    _confirm_owner(session, signal, actor)
                else:
                    _give_owner(session, signal, owners[signal_id], actor, None)
                done.append(signal_id)
            except CxosError as refusal:
                refused.append((signal_id, str(refusal)))
        session.flush()
    return done, refused


def _give_owner(
    session: Session, signal: Signal, team_id: int | None, actor: Actor, routed_by: str | None
) -> None:
    current = Status(signal.status)
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.archived:
            raise ValidationFailed({"owner_team_id": f"team #{team_id} does not exist or is archived"})
    elif current in OWNER_REQUIRED - {Status.ROUTED}:
        # Only a merely routed signal can go back to triage; later states carry work that needs an owner.
        raise ValidationFailed({"owner_team_id": f"a {current.label} signal must keep an owner"})
    updates: dict[str, Any] = {"owner_team_id": team_id}
    if team_id is not None:
        updates |= {"routed_by": str(routed_by or RoutedBy.person(actor.name)), "routed_at": utcnow()}
        if current in TRIAGE_STATUSES:
            updates |= status_change(current=current, target=Status.ROUTED, owner_team_id=team_id)
    elif current not in TRIAGE_STATUSES:
        updates |= status_change(current=current, target=Status.NEW, owner_team_id=None)
    enqueue_routed(session, routed=[(saved_id(signal), team_id)] if team_id != signal.owner_team_id else [])
    for field, value in updates.items():
        if getattr(signal, field) != value and field in {"owner_team_id", "status"}:
            owner = field == "owner_team_id"
            record_event(
                session,
                actor=actor,
                entity=EventEntity.SIGNAL,
                entity_id=saved_id(signal),
                action=EventAction.OWNER if owner else EventAction.STATUS,
                field=field,
                from_value=getattr(signal, field),
                to_value=value,
                note=updates.get("routed_by") if owner else None,
            )
        setattr(signal, field, value)
    touch(signal, actor)
    session.add(signal)


def _confirm_owner(session: Session, signal: Signal, actor: Actor) -> None:
    if signal.owner_team_id is None:
        raise ValidationFailed({"owner_team_id": f"signal #{signal.id} has no owner to confirm; choose one"})
    record_event(
        session,
        actor=actor,
        entity=EventEntity.SIGNAL,
        entity_id=saved_id(signal),
        action=EventAction.CONFIRMED,
        field="owner_team_id",
        to_value=signal.owner_team_id,
        note=signal.routed_by,
    )
    touch(signal, actor)
    session.add(signal)


# --- inside the caller's transaction -------------------------------------------------------------------


def route_one(session: Session, *, signal: Signal, decision: Decision, actor: Actor = ROUTER) -> None:
    """Give one new, unowned signal the team a routing decision chose, with its owner and status events."""
    now = utcnow()
    moved = status_change(current=Status(signal.status), target=Status.ROUTED, owner_team_id=decision.team_id)
    for event in _routing_events(saved_id(signal), signal.root_cause, decision, actor, now):
        session.add(Event(**event))
    signal.owner_team_id, signal.status = decision.team_id, moved["status"]
    signal.routed_by, signal.routed_at = str(decision.routed_by), now
    signal.root_cause = decision.root_cause or signal.root_cause
    touch(signal, actor)
    session.add(signal)
    session.flush()
    enqueue_routed(session, routed=[(saved_id(signal), decision.team_id)], at=now)


@dataclass(frozen=True)
class Route:
    """One new, unowned signal and where its routing decision sends it."""

    signal_id: int
    root_cause: str | None  # before routing
    decision: Decision


_ROUTE_UPDATE = (
    update(SIGNALS)
    .where(
        SIGNALS.c.id == bindparam("b_id"),
        SIGNALS.c.status == Status.NEW.value,
        SIGNALS.c.owner_team_id.is_(None),
    )
    .values(
        owner_team_id=bindparam("b_team"),
        status=bindparam("b_status"),
        routed_by=bindparam("b_by"),
        routed_at=bindparam("b_at"),
        root_cause=bindparam("b_root"),
        version=SIGNALS.c.version + 1,
        updated_at=bindparam("b_at"),
        updated_by=bindparam("b_actor"),
    )
)


def route_many(session: Session, *, routes: Sequence[Route], actor: Actor, at: datetime) -> None:
    """Route many new, unowned signals: one UPDATE for the lot (executemany), one INSERT of their events.

    A signal someone else took meanwhile (no longer new and unowned) is left as it is.
    """
    if not routes:
        return
    updates, events = [], []
    for route in routes:
        decision = route.decision
        moved = status_change(current=Status.NEW, target=Status.ROUTED, owner_team_id=decision.team_id)
        updates.append(
            {
                "b_id": route.signal_id,
                "b_team": decision.team_id,
                "b_status": moved["status"],
                "b_by": str(decision.routed_by),
                "b_at": at,
                "b_root": decision.root_cause or route.root_cause,
                "b_actor": actor.name,
            }
        )
        events.extend(_routing_events(route.signal_id, route.root_cause, decision, actor, at))
    session.connection().execute(_ROUTE_UPDATE, updates)
    session.execute(insert(Event).execution_options(render_nulls=True), events)
    enqueue_routed(session, routed=[(route.signal_id, route.decision.team_id) for route in routes], at=at)


def link_to_failure_mode(
    session: Session, *, signals: Iterable[Signal], failure_mode: FailureMode, actor: Actor
) -> int:
    """Point each signal at `failure_mode`; returns how many changed. An owned, routed signal moves on to
    linked; any other state stays as it is (a signal in triage has no owner yet, and linked needs one)."""
    changed = 0
    for signal in signals:
        updates: dict[str, Any] = {"failure_mode_id": failure_mode.id}
        if signal.status == Status.ROUTED and signal.owner_team_id is not None:
            updates |= status_change(
                current=Status.ROUTED, target=Status.LINKED, owner_team_id=signal.owner_team_id
            )
        if failure_mode.root_cause and not signal.root_cause:
            updates["root_cause"] = failure_mode.root_cause
        if apply_changes(session, signal, actor, updates, action=EventAction.LINKED):
            changed += 1
    session.flush()
    return changed


def unlink_from_failure_mode(session: Session, *, signals: Iterable[Signal], actor: Actor) -> int:
    """Take signals out of their failure mode; a linked signal goes back to routed (its owner keeps it)."""
    changed = 0
    for signal in signals:
        if signal.failure_mode_id is None:
            continue
        updates: dict[str, Any] = {"failure_mode_id": None}
        if signal.status == Status.LINKED:
            updates |= status_change(
                current=Status.LINKED, target=Status.ROUTED, owner_team_id=signal.owner_team_id
            )
        apply_changes(session, signal, actor, updates, action=EventAction.UNLINKED)
        changed += 1
    session.flush()
    return changed


def mark_fixed(session: Session, *, signals: Iterable[Signal], actor: Actor) -> int:
    """A fix shipped: each signal waiting on it moves to fixed; returns how many moved."""
    return _move_each(session, signals, Status.FIXED, actor)


def close_loop(session: Session, *, signals: Iterable[Signal], actor: Actor) -> int:
    """The customer was told: each fixed signal they reported moves to loop closed; returns how many moved."""
    return _move_each(session, signals, Status.LOOP_CLOSED, actor)


def move_touchpoint(session: Session, *, from_touchpoint_id: int, to_touchpoint_id: int, actor: Actor) -> int:
    """Every signal of one touchpoint to another, each with its own event, in one UPDATE; returns how many."""
    ids = list(session.exec(select(id_col(Signal.id)).where(col(Signal.touchpoint_id) == from_touchpoint_id)))
    now = utcnow()
    for signal_id in ids:
        record_event(
            session,
            actor=actor,
            entity=EventEntity.SIGNAL,
            entity_id=signal_id,
            action=EventAction.UPDATED,
            field="touchpoint_id",
            from_value=from_touchpoint_id,
            to_value=to_touchpoint_id,
            note="moved with its touchpoint",
        )
    session.execute(
        update(Signal)
        .where(col(Signal.touchpoint_id) == from_touchpoint_id)
        .values(
            touchpoint_id=to_touchpoint_id,
            version=Signal.version + 1,
            updated_at=now,
            updated_by=actor.name,
        )
    )
    session.flush()
    return len(ids)


# --- batches of new signals (an import, the demo) --------------------------------------------------------


def new_signal_row(
    *, fields: dict[str, Any], created_at: datetime, decision: Decision, actor: Actor, at: datetime
) -> dict[str, Any]:
    """All the columns of a new signal, as create_signal and then routing on arrival would leave them.

    `fields` are a new signal's as `arrival.understood` left them (drivers decided, with their evidence)."""
    routed = decision.team_id is not None
    status = (
        status_change(current=Status.NEW, target=Status.ROUTED, owner_team_id=decision.team_id)["status"]
        if routed
        else Status.NEW.value
    )
    return fields | {
        "created_at": created_at,
        "created_by": actor.name,
        "updated_at": at,
        "updated_by": ROUTER.name if routed else actor.name,
        "version": 2 if routed else 1,
        "status": status,
        "status_reason": None,
        "owner_team_id": decision.team_id,
        "routed_by": str(decision.routed_by) if routed else None,
        "routed_at": at if routed else None,
        "root_cause": decision.root_cause if routed else None,
        "failure_mode_id": None,
        "duplicate_of_id": None,
        "client_token": None,
    }


def arrival_events(
    *, signal_id: int, row: dict[str, Any], decision: Decision, actor: Actor, at: datetime, note: str
) -> list[dict[str, Any]]:
    """A new signal's events: 'created' by whoever brought it in, then those of its routing on arrival."""
    created = event_row(
        at=at,
        actor=actor,
        entity=EventEntity.SIGNAL,
        entity_id=signal_id,
        action=EventAction.CREATED,
        to_value=row["title"],
        note=note,
    )
    if decision.team_id is None:
        return [created]
    return [created, *_routing_events(signal_id, None, decision, ROUTER, at)]


def reserve_ids(session: Session, *, count: int, sqlite: bool) -> list[int]:
    """Ids for a batch of new signals, so it goes in one executemany (RETURNING is row by row on SQLite)."""
    connection = session.connection()
    if sqlite:  # the write transaction began IMMEDIATE: nobody else can take these ids before we commit
        start = connection.execute(select(func.coalesce(func.max(SIGNALS.c.id), 0))).scalar_one() + 1
        return list(range(start, start + count))
    return list(
        connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('signal', 'id')) FROM generate_series(1, :count)"),
            {"count": count},
        ).scalars()
    )


def insert_batch(session: Session, *, rows: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    """Store new signals (every column, ids given) and their events: one bulk INSERT (or COPY) per table."""
    connection = session.connection()
    with roomy_sqlite_cache(connection):
        insert_many(connection, SIGNALS, rows)
        insert_many(connection, EVENTS, events)


# --- helpers ---------------------------------------------------------------------------------------------


def is_reference_clash(error: IntegrityError) -> bool:
    """The database refused a second signal with a (source, external reference) it already holds."""
    message = str(error.orig)
    return SIGNAL_REFERENCE_KEY in message or "signal.source, signal.external_ref" in message


def _reference_taken(store: Store, source: str, reference: str | None) -> ValidationFailed:
    with store.read() as session:
        holder = session.exec(
            select(Signal.id).where(Signal.source == source, Signal.external_ref == reference)
        ).first()
    return ValidationFailed(
        {"external_ref": f"signal #{holder} already has this link for this source: open it instead"}
    )


def _routing_events(
    signal_id: int, old_root_cause: str | None, decision: Decision, actor: Actor, at: datetime
) -> list[dict[str, Any]]:
    """The events of one routing decision (owner, status, root cause): every routing path writes these."""
    base: dict[str, Any] = {"at": at, "actor": actor, "entity": EventEntity.SIGNAL, "entity_id": signal_id}
    events = [
        event_row(
            **base,
            action=EventAction.OWNER,
            field="owner_team_id",
            to_value=decision.team_id,
            note=decision.note,
        ),
        event_row(
            **base,
            action=EventAction.STATUS,
            field="status",
            from_value=Status.NEW.value,
            to_value=Status.ROUTED.value,
        ),
    ]
    if decision.root_cause and decision.root_cause != old_root_cause:
        events.append(
            event_row(
                **base,
                action=EventAction.UPDATED,
                field="root_cause",
                from_value=old_root_cause,
                to_value=decision.root_cause,
                note=decision.note,
            )
        )
    return events


def _move_each(session: Session, signals: Iterable[Signal], target: Status, actor: Actor) -> int:
    moved = 0
    for signal in signals:
        try:
            fields = status_change(
                current=Status(signal.status), target=target, owner_team_id=signal.owner_team_id
            )
        except ValidationFailed:
            continue  # a signal the lifecycle does not let move (no owner, say) stays where it is
        apply_changes(session, signal, actor, fields, action=EventAction.STATUS)
        moved += 1
    session.flush()
    return moved


def _by_token(store: Store, token: str) -> Signal | None:
    with store.read() as session:
        return session.exec(select(Signal).where(Signal.client_token == token)).first()


def _check_touchpoint(session: Session, touchpoint_id: int) -> None:
    touchpoint = session.get(Touchpoint, touchpoint_id)
    if touchpoint is None or touchpoint.archived:
        raise ValidationFailed({"touchpoint_id": "pick a touchpoint of the journey"})
