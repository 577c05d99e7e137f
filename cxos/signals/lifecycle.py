"""The signal lifecycle: which status changes are allowed and what each state requires.

`status_change` is the one place a signal's new status is decided: every path that moves a signal
(editing its status, routing, linking, a fix shipping, a loop notice sent, an import, the demo's history)
asks it, and writes the fields it returns through cxos/signals/writes.py.
"""

from typing import Any

from cxos.errors import ValidationFailed
from cxos.vocabulary import Status

# new → routed → linked → fixing → fixed → loop closed, with side exits from any open state.
_MAIN_PATH = [Status.NEW, Status.ROUTED, Status.LINKED, Status.FIXING, Status.FIXED, Status.LOOP_CLOSED]
SIDE_EXITS = {Status.DUPLICATE, Status.WONT_FIX, Status.NEEDS_INFO}
CLOSED = {Status.LOOP_CLOSED, Status.DUPLICATE, Status.WONT_FIX}
OPEN = set(Status) - CLOSED

# States past "new" on the main path mean someone upstream owns the signal.
OWNER_REQUIRED = {Status.ROUTED, Status.LINKED, Status.FIXING, Status.FIXED, Status.LOOP_CLOSED}

# Invariant 1 as the code holds it: an open signal with no owner is in the triage queue;
# a signal leaves the queue only by getting an owner or by a recorded decision
# (duplicate of #N, won't fix with its reason).
TRIAGE_STATUSES = {Status.NEW, Status.NEEDS_INFO}


def _allowed() -> dict[Status, set[Status]]:
    allowed: dict[Status, set[Status]] = {s: set() for s in Status}
    for i, state in enumerate(_MAIN_PATH):
        # Forward along the path (skipping is allowed: a fix can land before linking), one step back.
        allowed[state] |= set(_MAIN_PATH[i + 1 :])
        if i > 0:
            allowed[state].add(_MAIN_PATH[i - 1])
    for state in OPEN:
        allowed[state] |= SIDE_EXITS - {state}
    # Side exits can be reopened: back to the queue or to its owner.
    for state in SIDE_EXITS:
        allowed[state] |= {Status.NEW, Status.ROUTED}
    # A closed loop can be reopened when the failure comes back.
    allowed[Status.LOOP_CLOSED] |= {Status.ROUTED}
    for state in Status:
        allowed[state].discard(state)
    return allowed


ALLOWED_TRANSITIONS = _allowed()


def can_transition(current: Status, target: Status) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


def next_statuses(current: Status) -> list[Status]:
    """Allowed targets in lifecycle order, for pickers."""
    return [s for s in Status if s in ALLOWED_TRANSITIONS[current]]


def status_change(
    *,
    current: Status,
    target: Status,
    owner_team_id: int | None,
    reason: str | None = None,
    duplicate_of_id: int | None = None,
    signal_id: int | None = None,
) -> dict[str, Any]:
    """Check one move from `current` to `target`; the signal's fields that change with it (status first).

    Refused, with the field to fix: a move the lifecycle does not allow, a state that needs an owner the
    signal lacks, won't fix or needs info without a reason, duplicate without the signal it duplicates.
    """
    if target not in ALLOWED_TRANSITIONS[current]:
        raise ValidationFailed({"status": f"cannot go from {current.label} to {target.label}"})
    if target in OWNER_REQUIRED and owner_team_id is None:
        raise ValidationFailed({"status": f"{target.label} needs an owner: assign a team first"})
    if target is Status.WONT_FIX and not (reason or "").strip():
        raise ValidationFailed({"status_reason": "say why it won't be fixed"})
    if target is Status.NEEDS_INFO and not (reason or "").strip():
        raise ValidationFailed({"status_reason": "say what information is needed"})
    fields: dict[str, Any] = {"status": target.value}
    if reason:
        fields["status_reason"] = reason.strip()
    if target is Status.DUPLICATE:
        if not duplicate_of_id or duplicate_of_id == signal_id:
            raise ValidationFailed({"duplicate_of_id": "name the signal this one duplicates"})
        fields["duplicate_of_id"] = duplicate_of_id
    return fields
