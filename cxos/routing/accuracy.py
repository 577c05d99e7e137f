"""Routing accuracy, the KPI: the share of routed signals whose first owner the council never changed.

Read from the owner Events alone: a signal's *first route* is its first owner event with a team; it is
*kept* when no later owner event names another team or sends it back to triage. Who made the first
route is that event's note: "rule:<id>", "model:<confidence>" or "person:<name>". Aggregated in SQL
(one grouped query, by decider × team × day), folded into weeks here.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Function, SQLColumnExpression, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from cxos.models import Event
from cxos.vocabulary import Decider, EventEntity, RoutedBy

POOR_ACCURACY = 0.6  # below this, with at least MIN_ROUTED first routes, a rule is flagged
MIN_ROUTED = 10


@dataclass
class Tally:
    routed: int = 0
    kept: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.kept / self.routed if self.routed else None

    @property
    def poor(self) -> bool:
        return self.routed >= MIN_ROUTED and self.kept < POOR_ACCURACY * self.routed

    def add(self, routed: int, kept: int) -> None:
        self.routed += routed
        self.kept += kept


@dataclass
class RoutingAccuracy:
    overall: Tally = field(default_factory=Tally)
    by_decider: dict[str, Tally] = field(
        default_factory=lambda: defaultdict(Tally)
    )  # rule:<id> | model | person
    by_team: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))  # the first owner's team
    by_week: dict[date, Tally] = field(default_factory=lambda: defaultdict(Tally))  # ISO week (its Monday)

    def rule_tally(self, rule_id: int) -> Tally:
        return self.by_decider.get(RoutedBy.rule(rule_id), Tally())

    @property
    def flagged(self) -> list[str]:
        """Deciders (rules, the model) whose first routes are often overridden."""
        return [key for key, tally in self.by_decider.items() if key != Decider.PERSON and tally.poor]


def _day(session: Session, column: SQLColumnExpression[datetime]) -> Function[Any]:
    """The UTC calendar day of a timestamp, in the dialect at hand."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def routing_accuracy(session: Session, *, since: datetime | None = None) -> RoutingAccuracy:
    """Accuracy of the first routes made since `since` (all of them when None)."""
    owner_events = (col(Event.entity) == EventEntity.SIGNAL, col(Event.field) == "owner_team_id")
    first = (
        select(col(Event.entity_id).label("signal_id"), func.min(Event.id).label("first_id"))
        .where(*owner_events, col(Event.to_value).is_not(None))
        .group_by(col(Event.entity_id))
        .subquery()
    )
    first_event, later = aliased(Event), aliased(Event)
    overridden = exists().where(
        col(later.entity) == EventEntity.SIGNAL,
        col(later.entity_id) == first.c.signal_id,
        col(later.field) == "owner_team_id",
        col(later.id) > first.c.first_id,
        or_(col(later.to_value).is_(None), col(later.to_value) != col(first_event.to_value)),
    )
    # Keys of by_decider: the rule's own "rule:<id>", else the kind alone ("model", "person").
    decider = case(
        (col(first_event.note).like(Decider.RULE.pattern), col(first_event.note)),
        (col(first_event.note).like(Decider.MODEL.pattern), literal(Decider.MODEL.value)),
        else_=literal(Decider.PERSON.value),
    )
    day = _day(session, col(first_event.at))
    # Grouped by output label: PostgreSQL cannot match a repeated expression whose literals are bound parameters.
    query = (
        select(
            decider.label("decider"),
            col(first_event.to_value).label("team"),
            day.label("day"),
            func.count(),
            func.sum(case((overridden, 0), else_=1)),
        )
        .select_from(first)
        .join(first_event, col(first_event.id) == first.c.first_id)
        .group_by("decider", "team", "day")
    )
    if since is not None:
        query = query.where(col(first_event.at) >= since)
    result = RoutingAccuracy()
    for who, team, on_day, routed, kept in session.execute(query):
        kept = int(kept or 0)
        result.overall.add(routed, kept)
        result.by_decider[who].add(routed, kept)
        if team and str(team).isdigit():
            result.by_team[int(team)].add(routed, kept)
        day_value = on_day if isinstance(on_day, date) else date.fromisoformat(str(on_day)[:10])
        result.by_week[day_value - timedelta(days=day_value.weekday())].add(routed, kept)
    return result


def weekly_rows(accuracy: RoutingAccuracy) -> list[dict]:
    """Per ISO week, oldest first: routed, kept and the accuracy (for the weekly chart and tables)."""
    return [
        {
            "week": week,
            "iso_week": f"{week.isocalendar().year}-W{week.isocalendar().week:02d}",
            "routed": tally.routed,
            "kept": tally.kept,
            "accuracy": tally.accuracy,
        }
        for week, tally in sorted(accuracy.by_week.items())
    ]
