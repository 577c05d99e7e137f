"""Routing accuracy, the KPI: the share of routed signals whose first owner the council never changed.

From the owner Events: a signal's *first route* is its first owner event with a team; it is *kept* when no
later owner event names another team or sends it back to triage. Who made the first route is that event's
note: "rule:<id>", "model:<confidence>" or "person:<name>". Those facts are kept per signal in the
owner-history summary; aggregated in SQL (one grouped query, by decider × team × day), folded into weeks here.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Function, SQLColumnExpression, case, func, select
from sqlmodel import Session

from cxos.models import OwnerHistory, table_of
from cxos.vocabulary import Decider, RoutedBy

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
    """Accuracy of the first routes made since `since` (all of them when None).

    Read from the owner-history summary (kept in each write's transaction, see cxos/store/summaries.py), so the
    cost follows the window: one indexed range over the first routes made since `since`.
    """
    history = table_of(OwnerHistory)
    day = _day(session, history.c.first_routed_at)
    query = (
        select(
            history.c.decider,
            history.c.first_team,
            day.label("day"),
            func.count(),
            func.sum(case((history.c.kept, 1), else_=0)),
        )
        .where(history.c.first_routed_at.is_not(None))
        .group_by(history.c.decider, history.c.first_team, "day")
    )
    if since is not None:
        query = query.where(history.c.first_routed_at >= since)
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
