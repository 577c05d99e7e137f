"""Cached loaders for the routing rules page and the home page's routing accuracy."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import streamlit as st
from sqlalchemy import func
from sqlmodel import select

from components.common.data import LOADER_TTL_S, get_store
from cxos.clock import utcnow
from cxos.models import RootCauseLayer, Signal
from cxos.routing.accuracy import RoutingAccuracy, routing_accuracy
from cxos.routing.router import unrouted_condition
from cxos.routing.rule_engine import load_rule_set
from cxos.routing.rules import list_rules

ACCURACY_WEEKS = 26


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


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
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


def accuracy_since(now: datetime | None = None) -> datetime:
    """The start of the accuracy window, on a whole hour so the cache is shared within it."""
    return ((now or utcnow()) - timedelta(weeks=ACCURACY_WEEKS)).replace(minute=0, second=0)


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_routing_accuracy(since: datetime) -> RoutingAccuracy:
    with get_store().read() as session:
        return routing_accuracy(session, since=since)


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_root_causes() -> list[str]:
    with get_store().read() as session:
        return list(
            session.exec(
                select(RootCauseLayer.name)
                .where(RootCauseLayer.archived == False)  # noqa: E712
                .order_by(RootCauseLayer.position)
            )
        )


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_unrouted_count() -> int:
    """New signals without an owner: what `route` would look at."""
    with get_store().read() as session:
        return session.exec(select(func.count()).select_from(Signal).where(unrouted_condition())).one()
