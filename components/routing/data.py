"""Cached loaders for the routing rules page and the home page's routing accuracy."""

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from components.common.data import get_store, versioned
from cxos.kpis import headline
from cxos.models import OwnerHistory, RootCauseLayer, Rule, Signal, Team
from cxos.routing.accuracy import RoutingAccuracy
from cxos.routing.router import unrouted_condition
from cxos.routing.rule_engine import load_rule_set
from cxos.routing.rules import list_rules


@dataclass(frozen=True)
class RuleRow:
    """A stored rule as the page shows and edits it."""

    id: int
    position: int
    name: str
    enabled: bool
    match: str
    conditions: list[dict[str, Any]]
    owner_team_id: int | None
    root_cause: str | None
    version: int


@versioned(Rule, Team)
def load_rules() -> tuple[list[RuleRow], tuple[str, ...]]:
    """Every rule in order, and the warnings for rules that cannot route as written."""
    with get_store().read() as session:
        rows = [
            RuleRow(
                r.id,
                r.position,
                r.name,
                r.enabled,
                r.match,
                json.loads(r.conditions),
                r.owner_team_id,
                r.root_cause,
                r.version,
            )
            for r in list_rules(session)
        ]
        warnings = load_rule_set(session).warnings
    return rows, warnings


@versioned(OwnerHistory)
def load_routing_accuracy(on_day: date) -> RoutingAccuracy:
    """Routing accuracy over its one window (`headline.ROUTING`) ending on `on_day`: home, rules, KPIs, council."""
    with get_store().read() as session:
        return headline.routing(session, on_day)


@versioned(RootCauseLayer)
def load_root_causes() -> list[str]:
    with get_store().read() as session:
        return list(
            session.exec(
                select(RootCauseLayer.name)
                .where(RootCauseLayer.archived == False)  # noqa: E712
                .order_by(RootCauseLayer.position)
            )
        )


@versioned(Signal)
def load_unrouted_count() -> int:
    """New signals without an owner: what `route` would look at."""
    with get_store().read() as session:
        return session.exec(select(func.count()).select_from(Signal).where(unrouted_condition())).one()
