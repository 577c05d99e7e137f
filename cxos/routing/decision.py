"""Where one signal goes: the first matching rule, else a confident model suggestion, else the triage queue.

Deciding writes nothing; cxos/signals/writes.py applies a decision (route_one, route_many, an import).
"""

from dataclasses import dataclass

from cxos import config
from cxos.identity import Actor
from cxos.routing.rule_engine import RuleSet, SignalView, Suggester
from cxos.vocabulary import Role, RoutedBy

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


def decide(
    view: SignalView, rules: RuleSet, *, suggester: Suggester | None = None, threshold: float | None = None
) -> Decision:
    """First enabled matching rule wins; no match → the model if it is confident enough; else triage."""
    rule = rules.first_match(view)
    if rule is not None and rule.orphan:
        return Decision(None, outcome="orphan", rule_id=rule.id)
    if rule is not None:
        label = RoutedBy.rule(rule.id)
        return Decision(rule.owner_team_id, label, label, rule.root_cause, "rule", rule.id)
    if suggester is not None:
        suggestions = suggester(view)
        limit = config.routing_confidence() if threshold is None else threshold
        if suggestions and suggestions[0][1] >= limit:
            team_id, confidence = suggestions[0]
            return Decision(int(team_id), RoutedBy.model(), RoutedBy.model(confidence), outcome="model")
    return Decision(None)
