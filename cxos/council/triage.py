"""The council's triage: signals without a confirmed owner, and one action applied to many of them at once.

A signal waits for the council when it has no owner (the triage queue), or when a rule or the owner model
routed it since the last council and nobody has confirmed or corrected that owner. Each starts from an
owner guess (`owner_guesses`: the rule's or the model's owner it has, else the first matching rule, else the
model's best team). Accepting a guess that is the owner already, like confirming (`signals.confirm_owner`),
writes a "confirmed" Event and changes no owner; correcting goes through
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
from cxos.models import Event, Signal, saved_id
from cxos.routing.decision import decide
from cxos.routing.rule_engine import Suggester, journey_places, load_rule_set, signal_view
from cxos.signals import writes as signals
from cxos.signals.queries import LIST_COLUMNS, triage_condition
from cxos.store.audit import editing
from cxos.store.store import Store
from cxos.vocabulary import Decider, EventAction, EventEntity, RoutedBy, Status

MAX_ROWS = 300
COUNT_CAP = 10_000
ACTIONS = {
    "accept": "Accept the suggested owners",
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


@dataclass(frozen=True)
class OwnerGuess:
    """The owner the room starts from for one waiting signal: who guessed it and how sure it is."""

    team_id: int
    by: Decider  # a rule or the model
    confidence: float | None  # the model's probability for that team; None for a rule
    rule_id: int | None = None

    def confident(self, threshold: float) -> bool:
        return self.by is Decider.RULE or (self.confidence or 0.0) >= threshold


def owner_guesses(
    session: Session, rows: list[dict[str, Any]], *, suggester: Suggester | None
) -> dict[int, OwnerGuess]:
    """For each waiting row (as `waiting_signals` returns it): a routed one keeps the owner its rule or the
    model chose, with the model's confidence in it; an unowned one gets the first matching rule, else the
    model's best team at whatever confidence. Reads the model's predictions only; nothing is written."""
    ids = [r["id"] for r in rows]
    if not ids:
        return {}
    signals_by_id = {s.id: s for s in session.exec(select(Signal).where(col(Signal.id).in_(ids)))}
    ordered = [signals_by_id[i] for i in ids if i in signals_by_id]
    predictions = dict(zip(ids, _predictions(suggester, ordered), strict=False)) if suggester else {}
    rules, places = load_rule_set(session), journey_places(session)
    guesses: dict[int, OwnerGuess] = {}
    for signal in ordered:
        ranked = dict(predictions.get(signal.id, []))
        routed = RoutedBy.parse(signal.routed_by)
        if signal.owner_team_id is not None and routed is not None and routed.kind is not Decider.PERSON:
            guesses[saved_id(signal)] = OwnerGuess(
                signal.owner_team_id,
                routed.kind,
                None if routed.kind is Decider.RULE else ranked.get(signal.owner_team_id, 0.0),
                routed.rule_id,
            )
            continue
        decision = decide(signal_view(signal, places), rules, suggester=None)
        if decision.team_id is not None:
            guesses[saved_id(signal)] = OwnerGuess(decision.team_id, Decider.RULE, None, decision.rule_id)
        elif ranked:
            team_id, confidence = max(ranked.items(), key=lambda item: item[1])
            guesses[saved_id(signal)] = OwnerGuess(int(team_id), Decider.MODEL, confidence)
    return guesses


def _predictions(suggester: Suggester, signals: list[Signal]) -> list[list[tuple[int, float]]]:
    """The model's top teams for every signal in one pass when the suggester can batch."""
    many = getattr(suggester, "many", None)
    return many(signals) if many else [suggester(s) for s in signals]


def link_seen_signal(
    store: Store, *, signal_id: int, expected_version: int, failure_mode_id: int, actor: Actor
) -> Signal:
    """Link one signal the person saw at `expected_version`, naming its own refusal (bulk triage goes on)."""
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
    owners: dict[int, int] | None = None,
) -> BulkResult:
    """One council triage action on many signals, each against the version the person saw. "accept" gives
    each signal the owner in `owners` (the guess the person saw): kept and confirmed when it is already the
    owner, set otherwise."""
    if action == "accept":  # one transaction for the lot: a room accepts dozens at once
        done, refused = signals.accept_owners(store, items=list(items), owners=owners or {}, actor=actor)
        return BulkResult(done, refused)
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
