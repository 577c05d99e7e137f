"""Reshaping the journey without losing a signal: stages and touchpoints added, renamed, reordered, archived.

Every edit is an Event. A touchpoint that signals point at can be archived (it stays in their history)
but not removed until its signals have been moved to another touchpoint.
"""

from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import storable_field, storable_fields
from cxos.models import FailureMode, Signal, Stage, Team, Touchpoint
from cxos.signals import writes as signal_writes
from cxos.store.audit import add_created, apply_changes, editing, neighbour_as_seen, record_event
from cxos.store.store import Store
from cxos.vocabulary import Component, EventAction, EventEntity, known

NAME_MAX = 80
STAGE_FIELDS = {"name", "description"}
TOUCHPOINT_FIELDS = {"name", "description", "component", "team_id", "tool", "stage_id"}
_Journey = TypeVar("_Journey", Stage, Touchpoint)


def add_stage(store: Store, *, name: str, actor: Actor, description: str = "") -> Stage:
    """A new stage at the end. Append-only: a new row overwrites nobody's copy (a same name is refused)."""
    require(actor, "manage_journey")
    name = _name(name, "stage")
    with store.write() as session:
        _unique_stage(session, name)
        position = (session.exec(select(func.max(Stage.position))).one() or 0) + 1
        stage = Stage(
            name=name,
            description=storable_field("description", description).strip(),
            position=position,
            created_by=actor.name,
            updated_by=actor.name,
        )
        add_created(
            session,
            stage,
            actor=actor,
            entity=EventEntity.STAGE,
            to_value=name,
        )
        return stage


def update_stage(
    store: Store, *, stage_id: int, expected_version: int, changes: dict[str, Any], actor: Actor
) -> Stage:
    require(actor, "manage_journey")
    _only(changes, STAGE_FIELDS)
    changes = storable_fields(changes, names={"name"})
    with editing(store, Stage, stage_id, expected_version, actor) as (session, stage):
        if "name" in changes:
            changes["name"] = _name(changes["name"], "stage")
            if changes["name"] != stage.name:
                _unique_stage(session, changes["name"])
        apply_changes(session, stage, actor, changes)
        return stage


def add_touchpoint(
    store: Store,
    *,
    stage_id: int,
    name: str,
    component: str,
    actor: Actor,
    team_id: int | None = None,
    tool: str = "",
) -> Touchpoint:
    """A new touchpoint at the end of its stage. Append-only, like add_stage: no version to check."""
    require(actor, "manage_journey")
    with store.write() as session:
        fields = _touchpoint_fields(
            session,
            {"name": name, "component": component, "team_id": team_id, "tool": tool, "stage_id": stage_id},
            current=None,
        )
        position = (
            session.exec(select(func.max(Touchpoint.position)).where(Touchpoint.stage_id == stage_id)).one()
            or 0
        ) + 1
        touchpoint = Touchpoint(**fields, position=position, created_by=actor.name, updated_by=actor.name)
        add_created(
            session,
            touchpoint,
            actor=actor,
            entity=EventEntity.TOUCHPOINT,
            to_value=touchpoint.name,
        )
        return touchpoint


def update_touchpoint(
    store: Store, *, touchpoint_id: int, expected_version: int, changes: dict[str, Any], actor: Actor
) -> Touchpoint:
    """Rename, re-own, re-tool, re-classify or move to another stage. Signals keep pointing at it."""
    require(actor, "manage_journey")
    _only(changes, TOUCHPOINT_FIELDS)
    with editing(store, Touchpoint, touchpoint_id, expected_version, actor) as (session, touchpoint):
        apply_changes(session, touchpoint, actor, _touchpoint_fields(session, changes, current=touchpoint))
        return touchpoint


def move(
    store: Store,
    *,
    entity: type[_Journey],
    row_id: int,
    expected_version: int,
    direction: int,
    neighbour: tuple[int, int],
    actor: Actor,
) -> None:
    """Swap a stage (or a touchpoint within its stage) with its neighbour: direction -1 is left/up, +1 right/down.

    Checked against the versions the admin saw, of the row and of `neighbour` = (id, version), the row shown
    next to it: when the order changed meanwhile the move is refused, naming who changed it.
    """
    require(actor, "manage_journey")
    with editing(store, entity, row_id, expected_version, actor) as (session, row):
        if row.archived:
            raise ValidationFailed({"position": f"{row.name} is archived: restore it to move it"})
        siblings = select(entity).where(entity.archived == False)  # noqa: E712
        if isinstance(row, Touchpoint):
            siblings = siblings.where(Touchpoint.stage_id == row.stage_id)
        ordered = list(
            session.exec(siblings.order_by(col(entity.position), col(entity.id)).with_for_update())
        )
        index = next(i for i, r in enumerate(ordered) if r.id == row.id)
        step = 1 if direction > 0 else -1
        target = index + step
        if not 0 <= target < len(ordered):
            return
        what = "The order of the stages" if entity is Stage else "The order of the touchpoints"
        neighbour_as_seen(session, ordered, index, step, neighbour, what=what)
        ordered[index], ordered[target] = ordered[target], ordered[index]
        for position, sibling in enumerate(ordered):
            if sibling.position != position:
                apply_changes(session, sibling, actor, {"position": position}, action=EventAction.REORDERED)


def archive(
    store: Store,
    *,
    entity: type[Stage] | type[Touchpoint],
    row_id: int,
    expected_version: int,
    actor: Actor,
    archived: bool = True,
) -> None:
    """Hide a stage or touchpoint from pickers and the map; its signals and history stay."""
    require(actor, "manage_journey")
    with editing(store, entity, row_id, expected_version, actor) as (session, row):
        if entity is Stage and archived:
            active = session.exec(
                select(func.count())
                .select_from(Touchpoint)
                .where(Touchpoint.stage_id == row_id, Touchpoint.archived == False)  # noqa: E712
            ).one()
            if active:
                raise ValidationFailed(
                    {"stage": f"{row.name} still has {active} active touchpoints: archive or move them first"}
                )
        apply_changes(
            session,
            row,
            actor,
            {"archived": archived},
            action=EventAction.ARCHIVED if archived else EventAction.RESTORED,
        )


def remove_touchpoint(store: Store, *, touchpoint_id: int, expected_version: int, actor: Actor) -> None:
    """Delete a touchpoint nobody ever logged against; one with signals must have them moved first."""
    require(actor, "manage_journey")
    with editing(store, Touchpoint, touchpoint_id, expected_version, actor) as (session, touchpoint):
        signals = session.exec(
            select(func.count()).select_from(Signal).where(Signal.touchpoint_id == touchpoint_id)
        ).one()
        modes = session.exec(
            select(func.count()).select_from(FailureMode).where(FailureMode.touchpoint_id == touchpoint_id)
        ).one()
        if signals or modes:
            raise ValidationFailed(
                {
                    "touchpoint": f"{touchpoint.name} has {signals:,} signals and {modes} failure "
                    "modes: move them to another touchpoint first, or archive it"
                }
            )
        record_event(
            session,
            actor=actor,
            entity=EventEntity.TOUCHPOINT,
            entity_id=touchpoint_id,
            action=EventAction.REMOVED,
            from_value=touchpoint.name,
        )
        session.delete(touchpoint)


def move_signals(store: Store, *, from_touchpoint_id: int, to_touchpoint_id: int, actor: Actor) -> int:
    """Move every signal of one touchpoint to another, each with its own event; returns how many moved.

    Not checked against versions on purpose: the admin asks for the touchpoint to be emptied, whatever it
    holds now (a signal logged there a second ago must go too); no field a person set is overwritten, each
    signal only gets its new place, a version bump and an event.
    """
    require(actor, "manage_journey")
    if from_touchpoint_id == to_touchpoint_id:
        raise ValidationFailed({"to_touchpoint_id": "pick a different touchpoint"})
    with store.write() as session:
        target = session.get(Touchpoint, to_touchpoint_id)
        if target is None or target.archived:
            raise ValidationFailed({"to_touchpoint_id": "pick an active touchpoint"})
        moved = signal_writes.move_touchpoint(
            session, from_touchpoint_id=from_touchpoint_id, to_touchpoint_id=to_touchpoint_id, actor=actor
        )
        modes = list(session.exec(select(FailureMode).where(FailureMode.touchpoint_id == from_touchpoint_id)))
        for mode in modes:
            apply_changes(session, mode, actor, {"touchpoint_id": to_touchpoint_id})
        return moved


def _touchpoint_fields(
    session: Session, changes: dict[str, Any], *, current: Touchpoint | None
) -> dict[str, Any]:
    fields = storable_fields(changes, names={"name"})
    stage_id = fields.get("stage_id", current.stage_id if current else None)
    stage = session.get(Stage, stage_id) if stage_id else None
    if stage is None or stage.archived:
        raise ValidationFailed({"stage_id": "pick an active stage"})
    if "name" in fields:
        fields["name"] = _name(fields["name"], "touchpoint")
    name = fields.get("name", current.name if current else None)
    if ("name" in fields or "stage_id" in fields) and session.exec(
        select(Touchpoint.id).where(
            Touchpoint.stage_id == stage_id,
            Touchpoint.name == name,
            Touchpoint.id != (current.id if current else -1),
        )
    ).first():
        raise ValidationFailed({"name": f"{stage.name} already has a touchpoint called {name}"})
    if "component" in fields and not known(Component, fields["component"]):
        raise ValidationFailed({"component": "must be one of the six components"})
    if fields.get("team_id") is not None:
        team = session.get(Team, fields["team_id"])
        if team is None or team.archived:
            raise ValidationFailed({"team_id": "pick an existing team"})
    if "tool" in fields:
        fields["tool"] = (fields["tool"] or "").strip()[:NAME_MAX]
    if "component" in fields:
        fields["component"] = str(fields["component"])
    return fields


def _name(value: Any, what: str) -> str:
    name = storable_field("name", str(value or ""), name=True).strip()
    if not name:
        raise ValidationFailed({"name": f"a {what} needs a name"})
    if len(name) > NAME_MAX:
        raise ValidationFailed({"name": f"is too long (at most {NAME_MAX} characters)"})
    return name


def _unique_stage(session: Session, name: str) -> None:
    if session.exec(select(Stage.id).where(Stage.name == name)).first():
        raise ValidationFailed({"name": f"there is already a stage called {name}"})


def _only(changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed({field: "cannot be changed here" for field in sorted(unknown)})
