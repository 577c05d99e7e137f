"""The fix lifecycle (planned → in progress → shipped → verified), owners' updates, and the fixes in flight."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from cxos.clock import utcnow
from cxos.errors import ValidationFailed
from cxos.failure_modes.writes import attachable_failure_mode
from cxos.identity import Actor, require
from cxos.inputs import storable_field, storable_fields
from cxos.models import FailureMode, Fix, LoopNotice, Signal, Team, saved_id
from cxos.signals import writes as signals
from cxos.store.audit import add_created, apply_changes, editing, record_event, touch
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, Status

FIX_STATUSES = ("planned", "in_progress", "shipped", "verified")
FIX_STATUS_LABELS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "verified": "Verified",
}
IN_FLIGHT = ("planned", "in_progress")
EDITABLE = ("title", "owner_team_id", "due_on", "what_changed")
STALE_AFTER = timedelta(days=14)
TITLE_MAX = 200
# Signals still waiting on the fix when it ships; later states (loop closed, won't fix) are left as they are.
WAITING_ON_FIX = (Status.LINKED.value, Status.FIXING.value)


@dataclass(frozen=True)
class FixRow:
    """A fix in flight as the council and the owner see it."""

    fix_id: int
    version: int
    title: str
    status: str
    failure_mode_id: int
    failure_mode: str
    owner_team_id: int | None
    owner_team: str | None
    due_on: date | None
    overdue: bool
    last_update_at: datetime
    days_since_update: int
    stale: bool


@dataclass(frozen=True)
class ShippedFix:
    """A shipped (or verified) fix with how far its loop notices have got."""

    fix_id: int
    version: int
    title: str
    status: str
    failure_mode_id: int
    failure_mode: str
    owner_team: str | None
    shipped_at: datetime
    what_changed: str
    notices_drafted: int
    notices_sent: int


def plan_fix(
    store: Store,
    *,
    failure_mode_id: int,
    title: str,
    owner_team_id: int | None,
    due_on: date | None,
    actor: Actor,
) -> Fix:
    """A planned fix for a failure mode, with its event. Append-only: a new row overwrites nobody's copy."""
    require(actor, "manage_fixes")
    with store.write() as session:
        mode = attachable_failure_mode(session, failure_mode_id)
        fields = _checked(session, {"title": title, "owner_team_id": owner_team_id, "due_on": due_on})
        now = utcnow()
        fix = Fix(
            failure_mode_id=saved_id(mode),
            **fields,
            status="planned",
            created_at=now,
            updated_at=now,
            created_by=actor.name,
            updated_by=actor.name,
        )
        add_created(
            session,
            fix,
            actor=actor,
            entity=EventEntity.FIX,
            to_value=fix.title,
            note=f"for failure mode #{mode.id} {mode.name}",
        )
        return fix


def update_fix(
    store: Store, *, fix_id: int, expected_version: int, changes: dict[str, Any], actor: Actor
) -> Fix:
    """Change the title, owner team, due date or the customer-facing 'what changed' text."""
    require(actor, "manage_fixes")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed({field: "cannot be edited here" for field in sorted(unknown)})
    with editing(store, Fix, fix_id, expected_version, actor) as (session, fix):
        checked = _checked(session, changes)
        if (
            fix.status in ("shipped", "verified")
            and "what_changed" in checked
            and not checked["what_changed"]
        ):
            raise ValidationFailed(
                {"what_changed": "a shipped fix keeps its customer-facing 'what changed' text"}
            )
        apply_changes(session, fix, actor, checked)
        return fix


def advance_fix(
    store: Store,
    *,
    fix_id: int,
    expected_version: int,
    status: str,
    actor: Actor,
    what_changed: str | None = None,
    now: datetime | None = None,
) -> Fix:
    """Move a fix forward. Shipping needs the 'what changed' text; verifying needs the recurrence verdict 'materially less'.

    Shipping moves the failure mode's signals that wait on it (linked, fixing) to fixed, each with its event.
    """
    from cxos.fixes.recurrence import MATERIALLY_LESS, recurrence_for_fix  # recurrence reads fixes' constants

    require(actor, "manage_fixes")
    if status not in FIX_STATUSES:
        raise ValidationFailed({"status": f"a fix is one of {', '.join(FIX_STATUSES)}"})
    now = now or utcnow()
    what_changed = storable_field("what_changed", what_changed)
    with editing(store, Fix, fix_id, expected_version, actor) as (session, fix):
        current, target = FIX_STATUSES.index(fix.status), FIX_STATUSES.index(status)
        if target <= current:
            raise ValidationFailed(
                {"status": f"fix #{fix.id} is already {FIX_STATUS_LABELS[fix.status].lower()}"}
            )
        if status == "verified" and fix.status != "shipped":
            raise ValidationFailed({"status": "only a shipped fix can be verified"})
        changes: dict[str, Any] = {"status": status}
        if what_changed is not None and what_changed.strip():
            changes["what_changed"] = what_changed.strip()
        if status == "shipped":
            if not (changes.get("what_changed") or fix.what_changed).strip():
                raise ValidationFailed(
                    {"what_changed": "say what changed, in words a customer understands, before shipping"}
                )
            changes["shipped_at"] = now
        if status == "verified":
            evidence = recurrence_for_fix(session, fix, now=now)
            if evidence.verdict != MATERIALLY_LESS:
                raise ValidationFailed(
                    {
                        "status": f"not verified: the recurrence verdict is '{evidence.verdict}' "
                        f"({evidence.explanation})"
                    }
                )
            changes["verified_at"] = now
        apply_changes(session, fix, actor, {f: v for f, v in changes.items() if f != "status"})
        apply_changes(session, fix, actor, {"status": status}, action=EventAction.STATUS)
        if status == "shipped":
            _mark_signals_fixed(session, fix, actor)
        return fix


def record_fix_update(store: Store, *, fix_id: int, expected_version: int, note: str, actor: Actor) -> Fix:
    """An owner's progress note: an 'update' event that also resets the fix's staleness clock."""
    require(actor, "manage_fixes")
    text = storable_field("note", note or "").strip()
    if not text:
        raise ValidationFailed({"note": "write what happened since the last update"})
    with editing(store, Fix, fix_id, expected_version, actor) as (session, fix):
        record_event(
            session,
            actor=actor,
            entity=EventEntity.FIX,
            entity_id=saved_id(fix),
            action=EventAction.UPDATE,
            note=text,
        )
        touch(fix, actor)
        session.add(fix)
        return fix


def fixes_in_flight(session: Session, *, now: datetime) -> list[FixRow]:
    """Planned and in-progress fixes, overdue and stale ones first, then by due date."""
    rows = session.exec(
        select(Fix, col(FailureMode.name), col(Team.name))
        .join(FailureMode, col(FailureMode.id) == col(Fix.failure_mode_id))
        .join(Team, col(Team.id) == col(Fix.owner_team_id), isouter=True)
        .where(col(Fix.status).in_(IN_FLIGHT))
    ).all()
    result = []
    for fix, mode_name, team_name in rows:
        idle = now - _aware(fix.updated_at)
        result.append(
            FixRow(
                fix_id=saved_id(fix),
                version=fix.version,
                title=fix.title,
                status=fix.status,
                failure_mode_id=fix.failure_mode_id,
                failure_mode=mode_name,
                owner_team_id=fix.owner_team_id,
                owner_team=team_name,
                due_on=fix.due_on,
                overdue=fix.due_on is not None and fix.due_on < now.date(),
                last_update_at=_aware(fix.updated_at),
                days_since_update=max(0, idle.days),
                stale=idle >= STALE_AFTER,
            )
        )
    return sorted(result, key=lambda r: (not r.overdue, not r.stale, r.due_on or date.max, r.fix_id))


def fixes_shipped_since(session: Session, *, since: datetime) -> list[ShippedFix]:
    """Fixes shipped at or after `since` (newest first), with their notices drafted and sent: 'close the loop'."""
    rows = session.exec(
        select(Fix, col(FailureMode.name), col(Team.name))
        .join(FailureMode, col(FailureMode.id) == col(Fix.failure_mode_id))
        .join(Team, col(Team.id) == col(Fix.owner_team_id), isouter=True)
        .where(col(Fix.status).in_(("shipped", "verified")), col(Fix.shipped_at) >= since)
        .order_by(col(Fix.shipped_at).desc(), col(Fix.id).desc())
    ).all()
    counts: dict[tuple[int | None, str], int] = {}
    if rows:
        ids = [fix.id for fix, _, _ in rows]
        for fix_id, status, count in session.exec(
            select(col(LoopNotice.fix_id), col(LoopNotice.status), func.count())
            .where(col(LoopNotice.fix_id).in_(ids))
            .group_by(col(LoopNotice.fix_id), col(LoopNotice.status))
        ):
            counts[(fix_id, status)] = count
    return [
        ShippedFix(
            fix_id=saved_id(fix),
            version=fix.version,
            title=fix.title,
            status=fix.status,
            failure_mode_id=fix.failure_mode_id,
            failure_mode=mode_name,
            owner_team=team_name,
            shipped_at=_aware(fix.shipped_at),
            what_changed=fix.what_changed,
            notices_drafted=counts.get((fix.id, "drafted"), 0) + counts.get((fix.id, "sent"), 0),
            notices_sent=counts.get((fix.id, "sent"), 0),
        )
        for fix, mode_name, team_name in rows
        if fix.shipped_at is not None  # all of them: the query asks for shipped_at >= since
    ]


def fixes_for_failure_mode(session: Session, failure_mode_id: int) -> list[Fix]:
    return list(session.exec(select(Fix).where(Fix.failure_mode_id == failure_mode_id).order_by(col(Fix.id))))


def _mark_signals_fixed(session: Session, fix: Fix, actor: Actor) -> int:
    waiting = session.exec(
        select(Signal)
        .where(Signal.failure_mode_id == fix.failure_mode_id, col(Signal.status).in_(WAITING_ON_FIX))
        .with_for_update()
    ).all()
    return signals.mark_fixed(session, signals=waiting, actor=actor)


def _checked(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    checked = storable_fields(changes)
    if "title" in checked:
        checked["title"] = (checked["title"] or "").strip()
        if not checked["title"]:
            problems["title"] = "give the fix a short title"
        elif len(checked["title"]) > TITLE_MAX:
            problems["title"] = f"at most {TITLE_MAX} characters"
    if "what_changed" in checked:
        checked["what_changed"] = (checked["what_changed"] or "").strip()
    if checked.get("owner_team_id") is not None and session.get(Team, checked["owner_team_id"]) is None:
        problems["owner_team_id"] = f"team #{checked['owner_team_id']} does not exist"
    if "due_on" in checked and checked["due_on"] is not None and not isinstance(checked["due_on"], date):
        problems["due_on"] = "a date"
    if problems:
        raise ValidationFailed(problems)
    return checked


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
