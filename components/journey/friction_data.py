"""Cached loaders for the journey map, the heatmaps and the fit score (aggregates only, never raw rows)."""

from datetime import datetime

from components.common.data import get_store, load_journey, versioned
from cxos.journey import friction
from cxos.kpis import fit_score
from cxos.models import FailureMode, Fix, OwnerHistory, SelfAssessment, Signal, Touchpoint


@versioned(Signal)
def load_cells(
    now: datetime, days: int, by_week: bool, owner_team_ids: tuple[int, ...] = (), previous: bool = False
) -> list[friction.Cell]:
    window = friction.window_ending(now, days, whole_weeks=by_week)
    with get_store().read() as session:
        return friction.friction_cells(
            session, window.previous() if previous else window, by_week=by_week, owner_team_ids=owner_team_ids
        )


@versioned(Signal, FailureMode)
def load_top_failure_modes(now: datetime, days: int) -> dict[int, tuple[str, int]]:
    with get_store().read() as session:
        return friction.top_failure_modes(session, friction.window_ending(now, days))


@versioned(Signal, OwnerHistory, FailureMode, Fix, Touchpoint)
def load_fit_scores(now: datetime) -> list[fit_score.ComponentFit]:
    with get_store().read() as session:
        return fit_score.fit_scores(session, list(load_journey().touchpoints), now)


@versioned(SelfAssessment)
def load_self_assessment() -> dict[tuple[str, str], SelfAssessment]:
    with get_store().read() as session:
        return fit_score.latest_self_assessment(session)
