"""Failure-mode services for the council: create from a cluster, accept, rename and describe, merge, split, link signals.

Every change writes its events in the same transaction: on the failure mode (entity "failure_mode") and
on each signal it touches. Signals are never removed: merging or splitting moves them, with an event each.
Every change is checked against the versions the person saw: of the failure mode, and of each signal a link
or an unlink names ({signal id: version seen}); a stale one refuses the whole change, naming who moved it.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import storable_fields
from cxos.models import FailureMode, RootCauseLayer, Signal, Team, Touchpoint, saved_id
from cxos.notify.outbox import enqueue_failure_mode_assigned
from cxos.signals import writes as signals
from cxos.store.audit import (
    add_created,
    apply_changes,
    check_version,
    editing,
    record_event,
    touch,
    versioned_write,
)
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity

NAME_MAX = 200
EDITABLE = ("name", "owner_team_id", "root_cause", "upstream_cause")


def create_failure_mode(
    store: Store,
    *,
    name: str,
    signals_seen: Mapping[int, int],
    actor: Actor,
    status: str = "candidate",
    touchpoint_id: int | None = None,
    owner_team_id: int | None = None,
    root_cause: str | None = None,
    upstream_cause: str = "",
) -> FailureMode:
    """A new failure mode (a candidate, or accepted at once) holding the given signals, each as seen."""
    require(actor, "manage_failure_modes")
    if status not in {"candidate", "accepted"}:
        raise ValidationFailed({"status": "a new failure mode is a candidate or accepted"})
    with versioned_write(store, actor) as session:
        fields = _checked(
            session,
            {
                "name": name,
                "owner_team_id": owner_team_id,
                "root_cause": root_cause,
                "upstream_cause": upstream_cause,
            },
        )
        if touchpoint_id is not None and session.get(Touchpoint, touchpoint_id) is None:
            raise ValidationFailed({"touchpoint_id": f"touchpoint #{touchpoint_id} does not exist"})
        now = utcnow()
        mode = FailureMode(
            **fields,
            status=status,
            touchpoint_id=touchpoint_id,
            created_at=now,
            updated_at=now,
            created_by=actor.name,
            updated_by=actor.name,
        )
        add_created(
            session,
            mode,
            actor=actor,
            entity=EventEntity.FAILURE_MODE,
            to_value=mode.name,
            note=f"status {status}",
        )
        enqueue_failure_mode_assigned(session, mode=mode, previous_team_id=None)
        signals.link_to_failure_mode(
            session, signals=_signals_as_seen(session, signals_seen), failure_mode=mode, actor=actor
        )
        return mode


def accept_failure_mode(
    store: Store, *, failure_mode_id: int, expected_version: int, actor: Actor
) -> FailureMode:
    """A candidate becomes an accepted failure mode."""
    require(actor, "manage_failure_modes")
    with editing(store, FailureMode, failure_mode_id, expected_version, actor) as (session, mode):
        if mode.status != "candidate":
            raise ValidationFailed({"status": f"failure mode #{mode.id} is {mode.status}, not a candidate"})
        apply_changes(session, mode, actor, {"status": "accepted"}, action=EventAction.ACCEPTED)
        return mode


def update_failure_mode(
    store: Store, *, failure_mode_id: int, expected_version: int, changes: dict[str, Any], actor: Actor
) -> FailureMode:
    """Rename, set the owner team, the root-cause layer or the upstream cause in words."""
    require(actor, "manage_failure_modes")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed({field: "cannot be edited here" for field in sorted(unknown)})
    with editing(store, FailureMode, failure_mode_id, expected_version, actor) as (session, mode):
        refuse_merged(mode)
        previous_team_id = mode.owner_team_id
        apply_changes(session, mode, actor, _checked(session, changes))
        enqueue_failure_mode_assigned(session, mode=mode, previous_team_id=previous_team_id)
        return mode


def merge_failure_modes(
    store: Store, *, source_id: int, source_version: int, target_id: int, target_version: int, actor: Actor
) -> FailureMode:
    """Merge `source` into `target`: the source is kept as merged, and each of its signals moves to the target.

    Both are checked as the person saw them: a target renamed, re-owned or merged since is not the one they chose.
    """
    require(actor, "manage_failure_modes")
    if source_id == target_id:
        raise ValidationFailed({"target": "a failure mode cannot be merged into itself"})
    with editing(store, FailureMode, source_id, source_version, actor) as (session, source):
        target = session.exec(
            select(FailureMode).where(FailureMode.id == target_id).with_for_update()
        ).first()
        if target is None:
            raise NotFound(f"Failure mode #{target_id} does not exist.")
        check_version(target, target_version)
        for mode in (source, target):
            if mode.status == "merged":
                raise ValidationFailed({"status": f"failure mode #{mode.id} was already merged"})
        moving = list(
            session.exec(select(Signal).where(Signal.failure_mode_id == source.id).with_for_update())
        )
        signals.link_to_failure_mode(session, signals=moving, failure_mode=target, actor=actor)
        apply_changes(
            session,
            source,
            actor,
            {"status": "merged", "merged_into_id": target.id},
            action=EventAction.MERGED,
        )
        record_event(
            session,
            actor=actor,
            entity=EventEntity.FAILURE_MODE,
            entity_id=saved_id(target),
            action=EventAction.MERGED,
            from_value=source.id,
            note=f"{len(moving)} signals moved from #{source.id} {source.name}",
        )
        return target


def split_failure_mode(
    store: Store,
    *,
    failure_mode_id: int,
    expected_version: int,
    signal_ids: Iterable[int],
    name: str,
    actor: Actor,
) -> FailureMode:
    """Move the chosen signals out of a failure mode into a new one with the same status, owner and layer."""
    require(actor, "manage_failure_modes")
    chosen = sorted(set(signal_ids))
    if not chosen:
        raise ValidationFailed({"signals": "choose the signals to split out"})
    with editing(store, FailureMode, failure_mode_id, expected_version, actor) as (session, origin):
        refuse_merged(origin)
        moving = _signals(session, chosen)
        strangers = [s.id for s in moving if s.failure_mode_id != origin.id]
        if strangers:
            raise ValidationFailed(
                {"signals": f"not in failure mode #{origin.id}: {', '.join(map(str, strangers))}"}
            )
        fields = _checked(
            session,
            {
                "name": name,
                "owner_team_id": origin.owner_team_id,
                "root_cause": origin.root_cause,
                "upstream_cause": "",
            },
        )
        now = utcnow()
        new = FailureMode(
            **fields,
            status=origin.status,
            touchpoint_id=origin.touchpoint_id,
            created_at=now,
            updated_at=now,
            created_by=actor.name,
            updated_by=actor.name,
        )
        add_created(
            session,
            new,
            actor=actor,
            entity=EventEntity.FAILURE_MODE,
            to_value=new.name,
            note=f"split from #{origin.id} with {len(moving)} signals",
        )
        record_event(
            session,
            actor=actor,
            entity=EventEntity.FAILURE_MODE,
            entity_id=saved_id(origin),
            action=EventAction.SPLIT,
            to_value=new.id,
            note=f"{len(moving)} signals moved to #{new.id} {new.name}",
        )
        signals.link_to_failure_mode(session, signals=moving, failure_mode=new, actor=actor)
        touch(origin, actor)
        session.add(origin)
        return new


def link_signals(store: Store, *, failure_mode_id: int, signals_seen: Mapping[int, int], actor: Actor) -> int:
    """Link signals ({id: version seen}) to a failure mode; returns how many changed. A signal someone changed
    meanwhile (linked elsewhere, say) refuses the link: nothing of theirs is overwritten."""
    require(actor, "manage_failure_modes")
    with versioned_write(store, actor) as session:
        mode = attachable_failure_mode(session, failure_mode_id)
        return signals.link_to_failure_mode(
            session, signals=_signals_as_seen(session, signals_seen), failure_mode=mode, actor=actor
        )


def attachable_failure_mode(session: Session, failure_mode_id: int) -> FailureMode:
    """The failure mode signals and fixes may attach to: it exists and was not merged into another."""
    mode = session.get(FailureMode, failure_mode_id)
    if mode is None:
        raise NotFound(f"Failure mode #{failure_mode_id} does not exist.")
    refuse_merged(mode)
    return mode


def refuse_merged(mode: FailureMode) -> None:
    if mode.status == "merged":
        raise ValidationFailed(
            {
                "failure_mode_id": f"failure mode #{mode.id} was merged into "
                f"#{mode.merged_into_id}; use that one"
            }
        )


def unlink_signals(store: Store, *, signals_seen: Mapping[int, int], actor: Actor) -> int:
    """Take signals ({id: version seen}) out of their failure mode; a linked signal goes back to routed (its
    owner keeps it). A signal someone changed meanwhile refuses the unlink."""
    require(actor, "manage_failure_modes")
    if not signals_seen:
        raise ValidationFailed({"signals": "choose the signals to unlink"})
    with versioned_write(store, actor) as session:
        return signals.unlink_from_failure_mode(
            session, signals=_signals_as_seen(session, signals_seen), actor=actor
        )


def _signals_as_seen(session: Session, seen: Mapping[int, int]) -> list[Signal]:
    """The signals, locked, each still at the version the person saw (else StaleWrite naming who changed it)."""
    found = _signals(session, seen)
    for signal in found:
        check_version(signal, seen[saved_id(signal)])
    return found


def _signals(session: Session, signal_ids: Iterable[int]) -> list[Signal]:
    wanted = sorted(set(signal_ids))
    found = (
        list(
            session.exec(
                select(Signal).where(col(Signal.id).in_(wanted)).order_by(col(Signal.id)).with_for_update()
            )
        )
        if wanted
        else []
    )
    missing = sorted(set(wanted) - {s.id for s in found})
    if missing:
        listed = ", ".join(f"#{i}" for i in missing)
        raise NotFound(
            f"Signal {listed} does not exist." if len(missing) == 1 else f"Signals {listed} do not exist."
        )
    return found


def _checked(session: Session, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the editable fields that are present; returns them cleaned."""
    out, problems = {}, {}
    for field, value in storable_fields(fields, names={"name"}).items():
        if field == "name":
            value = " ".join(str(value or "").split())
            if not value:
                problems["name"] = "give the failure mode a name"
            elif len(value) > NAME_MAX:
                problems["name"] = f"at most {NAME_MAX} characters"
        elif field == "upstream_cause":
            value = str(value or "").strip()
        elif field == "owner_team_id" and value is not None:
            team = session.get(Team, value)
            if team is None or team.archived:
                problems["owner_team_id"] = f"team #{value} does not exist or is archived"
        elif field == "root_cause" and value:
            names = set(session.exec(select(RootCauseLayer.name)))
            if value not in names:
                problems["root_cause"] = (
                    f"{value!r} is not a root-cause layer; choose one of {', '.join(sorted(names))}"
                )
        out[field] = (value or None) if field == "root_cause" else value
    if problems:
        raise ValidationFailed(problems)
    return out
