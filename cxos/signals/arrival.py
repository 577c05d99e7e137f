"""Routing on arrival, the same for every intake path (quick entry, import, sheet pull, the API to come).

A new signal goes to the first matching rule's team; else to the stored owner model's best guess when its
calibrated confidence is at or above the threshold (CXOS_ROUTING_CONFIDENCE); else it waits in triage, where
the council sees the model's top three. The model is only read here (cxos/routing/owner_model.py), never
trained. Deciding writes nothing: cxos/signals/writes.py stores the signal and its routing events.

Before routing, every new signal is understood: `understood` decides its CX drivers from its words
(cxos/signals/drivers.py), so a rule on a driver (flagged for review → QA) already sees them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxos.routing.decision import Decision, decide_many
from cxos.routing.owner_model import confidence_threshold, suggester_for
from cxos.routing.rule_engine import Places, RuleSet, Suggester, journey_places, load_rule_set, signal_view
from cxos.signals.drivers import on_arrival
from cxos.store.store import Store


@dataclass(frozen=True)
class ArrivalRouter:
    """The rules, the journey and the stored model, read once for one intake (a form, an import, a pull)."""

    rules: RuleSet
    places: Places
    suggester: Suggester | None  # None: no model stored yet (rules only, then triage)
    threshold: float

    def decide(self, signal: Any) -> Decision:
        """Where one new signal goes (a Signal, a row mapping or a dict of its fields)."""
        return self.decide_many([signal])[0]

    def decide_many(self, signals: Sequence[Any]) -> list[Decision]:
        """Where each of a batch goes: the model ranks the ones no rule took in one pass."""
        views = [signal_view(signal, self.places) for signal in signals]
        return decide_many(views, self.rules, suggester=self.suggester, threshold=self.threshold)


def arrival_router(store: Store) -> ArrivalRouter:
    """Everything routing on arrival needs, read before the write transaction opens."""
    with store.read() as session:
        rules, places = load_rule_set(session), journey_places(session)
    return ArrivalRouter(rules, places, suggester_for(store), confidence_threshold())


def understood(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new signal's fields (before it is stored or routed) with what its text tells: the CX drivers a person
    did not tick, detected, with the phrases that triggered them; the ticked ones kept as a person's labels."""
    return on_arrival(fields)
