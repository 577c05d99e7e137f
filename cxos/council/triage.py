"""The council's triage: signals without a confirmed owner, and one action applied to many of them at once.

A signal waits for the council when it has no owner (the triage queue), or when a rule or the owner model
routed it since the last council and nobody has confirmed or corrected that owner. Confirming
(`signals.confirm_owner`) writes a "confirmed" Event and changes no owner; correcting goes through
`signals.assign_owner`, so it counts against routing accuracy. Each signal in a bulk action is checked
against the version the person saw: a stale one is refused on its own, with its message, and the others
proceed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, col, select

from cxos.errors import CxosError, ValidationFailed
from cxos.failure_modes import writes as failure_modes
from cxos.identity import Actor, require
from cxos.kpis import headline
from cxos.models import Event, Signal
from cxos.signals import writes as signals
from cxos.signals.queries import LIST_COLUMNS, triage_condition
from cxos.store.audit import editing
from cxos.store.store import Store
from cxos.vocabulary import Decider, EventAction, EventEntity, Status

MAX_ROWS = 300
COUNT_CAP = 10_000
ACTIONS = {
    "confirm": "Confirm the owner",
    "correct": "Correct the owner",
    "link": "Link to a failure mode",
    "needs_info": "Mark needs info",
}


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (signal id, why)


def _unconfirmed_route(since: datetime) -> Any:
    """Routed by a rule or the model since `since`, still with that owner, and nobody confirmed it."""
    confirmed = exists().where(
        col(Event.entity) == EventEntity.SIGNAL,
        col(Event.entity_id) == col(Signal.id),
        col(Event.action) == EventAction.CONFIRMED,
    )
    return and_(
        col(Signal.status) == Status.ROUTED,
        col(Signal.routed_at) >= since,
        or_(
            col(Signal.routed_by).like(Decider.RULE.pattern),
            col(Signal.routed_by).like(Decider.MODEL.pattern),
        ),
        ~confirmed,
    )


def waiting_condition(since: datetime) -> Any:
    return or_(triage_condition(), _unconfirmed_route(since))


def waiting_signals(session: Session, *, since: datetime, limit: int = MAX_ROWS) -> list[dict[str, Any]]:
    """Unowned first (the queue), then unconfirmed routes; oldest first within each, with each row's version."""
    unowned_first = col(Signal.owner_team_id).is_not(None)
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            *LIST_COLUMNS,
            col(Signal.version),
            col(Signal.routed_by),
        )
        .where(waiting_condition(since))
        .order_by(unowned_first, col(Signal.created_at), col(Signal.id))
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.exec(query)]


def count_waiting(session: Session, *, since: datetime, cap: int = COUNT_CAP) -> dict[str, int]:
    """How many wait in the queue and how many routes wait for a confirmation (each capped)."""

    def capped(condition: Any) -> int:
        ids = select(Signal.id).where(condition).limit(cap + 1).subquery()
        return session.exec(select(func.count()).select_from(ids)).one()

    # The queue is the shared "In triage" figure, the same count as on Home (an indexed count, never capped).
    return {"unowned": headline.in_triage(session), "unconfirmed": capped(_unconfirmed_route(since))}


def link_seen_signal(
    store: Store, *, signal_id: int, expected_version: int, failure_mode_id: int, actor: Actor
) -> Signal:
    """Link one signal the person saw at `expected_version` (failure_modes.link_signals takes no version)."""
    require(actor, "manage_failure_modes")
    with editing(store, Signal, signal_id, expected_version, actor) as (session, signal):
        mode = failure_modes.attachable_failure_mode(session, failure_mode_id)
        # The same linking rules as the failure-mode page, inside this version-checked transaction.
        signals.link_to_failure_mode(session, signals=[signal], failure_mode=mode, actor=actor)
        return signal


def apply_to_each(items: Iterable[tuple[int, int]], change: Callable[[int, int], Any]) -> BulkResult:
    """Run `change(signal_id, version)` for each selected signal; a refusal stops only that signal."""
    result = BulkResult()
    for signal_id, version in items:
        try:
            change(signal_id, version)
            result.done.append(signal_id)
        except CxosError as refusal:
            result.refused.append((signal_id, str(refusal)))
    return result


def bulk_triage(
    store: Store,
    *,
    items: Iterable[tuple[int, int]],
    action: str,
    actor: Actor,
    team_id: int | None = None,
    failure_mode_id: int | None = None,
    question: str = "",
) -> BulkResult:
    """One council triage action on many signals, each against the version the person saw."""
    if action == "confirm":

        def change(i: int, v: int) -> Any:
            return signals.confirm_owner(store, signal_id=i, expected_version=v, actor=actor)
    elif action == "correct":
        if team_id is None:
            raise ValidationFailed({"owner_team_id": "choose the team that owns these"})

        def change(i: int, v: int) -> Any:
            return signals.assign_owner(store, signal_id=i, expected_version=v, team_id=team_id, actor=actor)
    elif action == "link":
        if failure_mode_id is None:
            raise ValidationFailed({"failure_mode": "choose the failure mode"})

        def change(i: int, v: int) -> Any:
            return link_seen_signal(
                store, signal_id=i, expected_version=v, failure_mode_id=failure_mode_id, actor=actor
            )
    elif action == "needs_info":
        if not question.strip():
            raise ValidationFailed({"status_reason": "say what information is needed"})

        def change(i: int, v: int) -> Any:
            return signals.set_status(
                store,
                signal_id=i,
                expected_version=v,
                status=Status.NEEDS_INFO.value,
                reason=question,
                actor=actor,
            )
    else:
        raise ValidationFailed({"action": f"one of {', '.join(ACTIONS)}"})
    with store.batched():  # on a Google Sheet: one batch of requests for the lot, not a few per signal
        return apply_to_each(items, change)
