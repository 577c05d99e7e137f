"""Cached loader of the CX-driver figures and CX-score averages for one date range and set of teams."""

from dataclasses import dataclass
from datetime import date, datetime

from components.common.data import get_store, versioned
from cxos.kpis import driver_figures
from cxos.kpis.cx_score import GROUPINGS, average_scores
from cxos.models import FailureMode, Signal, Stage, Team, Touchpoint


@dataclass(frozen=True)
class DriverView:
    mix: dict[str, int]
    trend: list[tuple[date, str, int]]
    by_stage: list[tuple[str, int, str, int]]
    scores: dict[str, list[tuple[str, float, int]]]  # grouping → (name, mean CX score, signals), worst first


@versioned(Signal, Touchpoint, Stage, Team, FailureMode, max_entries=20)
def load_driver_view(start: datetime, end: datetime, team_ids: tuple[int, ...]) -> DriverView:
    window = {"start": start, "end": end, "team_ids": team_ids}
    with get_store().read() as session:
        return DriverView(
            mix=driver_figures.driver_mix(session, **window),
            trend=driver_figures.driver_trend(session, **window),
            by_stage=driver_figures.drivers_by_stage(session, **window),
            scores={
                by: [
                    (a.name, a.average, a.signals)
                    for a in average_scores(session, by=by, start=start, end=end, team_ids=team_ids)
                ]
                for by in GROUPINGS
            },
        )
