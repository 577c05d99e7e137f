"""Where one signal goes: the first matching rule, else a confident model suggestion, else the triage queue.

Deciding writes nothing; cxos/signals/writes.py applies a decision (route_one, route_many, an import).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from cxos import config
from cxos.identity import Actor
from cxos.routing.rule_engine import RuleSet, SignalView, Suggester
from cxos.vocabulary import Decider, Role, RoutedBy

ROUTER = Actor("cxos-routing", Role.COUNCIL)  # who automatic routing decisions are recorded as


@dataclass(frozen=True)
class Decision:
    """Where one signal goes: a team and who decided, or triage (team None) and why."""

    team_id: int | None
    routed_by: RoutedBy | None = None  # "rule:<id>" or "model"
    note: RoutedBy | None = None  # the owner Event's note: "rule:<id>" or "model:<confidence>"
    root_cause: str | None = None
    outcome: str = "triage"  # rule | model | orphan | triage
    rule_id: int | None = None
    confidence: float | None = None  # the model's, when it decided
    suggestions: tuple[tuple[int, float], ...] = ()  # the model's top three, when it was asked


def decide(
    view: SignalView, rules: RuleSet, *, suggester: Suggester | None = None, threshold: float | None = None
) -> Decision:
    """First enabled matching rule wins; no match → the model if it is confident enough; else triage."""
    return decide_many([view], rules, suggester=suggester, threshold=threshold)[0]


def decide_many(
    views: Sequence[SignalView],
    rules: RuleSet,
    *,
    suggester: Suggester | None = None,
    threshold: float | None = None,
) -> list[Decision]:
    """`decide` for a batch: the rules one by one, then one pass of the model over the signals no rule took."""
    decisions = [_by_rule(view, rules) for view in views]
    waiting = [n for n, decision in enumerate(decisions) if decision is None]
    if suggester is None or not waiting:
        return [decision or Decision(None) for decision in decisions]
    limit = config.routing_confidence() if threshold is None else threshold
    ranked = _suggest_many(suggester, [views[n] for n in waiting])
    for n, suggestions in zip(waiting, ranked, strict=True):
        decisions[n] = _by_model(suggestions, limit)
    return [decision or Decision(None) for decision in decisions]


def _by_rule(view: SignalView, rules: RuleSet) -> Decision | None:
    rule = rules.first_match(view)
    if rule is None:
        return None
    if rule.orphan:
        return Decision(None, outcome="orphan", rule_id=rule.id)
    label = RoutedBy.rule(rule.id)
    return Decision(rule.owner_team_id, label, label, rule.root_cause, Decider.RULE, rule.id)


def _by_model(suggestions: Sequence[tuple[int, float]], threshold: float) -> Decision:
    top = tuple((int(team_id), float(confidence)) for team_id, confidence in suggestions[:3])
    if top and top[0][1] >= threshold:
        team_id, confidence = top[0]
        return Decision(
            team_id,
            RoutedBy.model(),
            RoutedBy.model(confidence),
            outcome=Decider.MODEL,
            confidence=confidence,
            suggestions=top,
        )
    return Decision(None, suggestions=top)


def _suggest_many(suggester: Suggester, views: Sequence[SignalView]) -> list[list[tuple[int, float]]]:
    """The store's suggester ranks a batch in one pass (`many`); any other callable is asked one by one."""
    many = getattr(suggester, "many", None)
    return many(views) if many is not None else [suggester(view) for view in views]
