"""Cached loader for the KPI page: every figure for one date range and team, computed again when its data changes."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import select

from components.common.data import get_store, load_journey, versioned
from components.journey.friction_data import load_fit_scores
from cxos.kpis import figures as kpis
from cxos.kpis.metrics import metric_series
from cxos.models import Fix, LoopNotice, MetricValue, OwnerHistory, Setting, Signal, Touchpoint
from cxos.routing.accuracy import routing_accuracy
from cxos.vocabulary import Source, label


@dataclass(frozen=True)
class KpiView:
    weekly_by_source: list[tuple[date, str, int]]
    weekly_by_stage: list[tuple[date, str, int]]
    signals: int
    routed: int
    kept: int
    time_to_route_h: float | None
    time_to_fix_d: float | None
    loops_closed: int
    loops_due: int
    notices_sent: int
    notices_drafted: int
    recurrence: kpis.RecurrenceSummary
    deflection: list[tuple[date, float, float | None]]
    csat: list[tuple[date, float]]
    costs: kpis.Costs
    deflected: float
    cost_saved: float
    fit_score: int | None
    fit_components: list[tuple[str, int | None]]
    fix_titles: dict[int, str]

    @property
    def routing_accuracy(self) -> float | None:
        return self.kept / self.routed if self.routed else None

    @property
    def loop_closure_rate(self) -> float | None:
        return self.loops_closed / self.loops_due if self.loops_due else None


@versioned(
    Signal,
    OwnerHistory,
    Fix,
    LoopNotice,
    MetricValue,
    Setting,
    Touchpoint,
    show_spinner="Computing the KPIs…",
)
def load_kpis(start: datetime, end: datetime, team_id: int | None, now: datetime) -> KpiView:
    journey = load_journey()
    stage_of = {tp.id: tp.stage for tp in journey.touchpoints}
    window = kpis.KpiFilter(start, end, team_id)
    with get_store().read() as session:
        weekly = kpis.signals_per_week(session, window)
        accuracy = routing_accuracy(session, since=start)  # the default range is headline.ROUTING's window
        tally = (
            accuracy.overall if team_id is None else accuracy.by_team.get(team_id, type(accuracy.overall)())
        )
        closed, due = kpis.loop_closure(session, window)
        sent, drafted = kpis.notice_counts(session, window)
        recurrence = kpis.recurrence_summary(session, window, now=now)
        months = (date(start.year, start.month, 1), end.date())
        deflection = kpis.month_over_month(
            metric_series(session, "deflection", start=months[0], end=months[1])
        )
        csat = metric_series(session, "csat", start=months[0], end=months[1])
        costs = kpis.costs(session)
        time_to_route, time_to_fix = (
            kpis.time_to_route_hours(session, window),
            kpis.time_to_fix_days(session, window),
        )
        ids = [r.fix_id for r in recurrence.fixes]
        titles = dict(session.exec(select(Fix.id, Fix.title).where(Fix.id.in_(ids))).all()) if ids else {}
    fit = load_fit_scores(now)  # shared with the fit score page; a team change does not recompute it
    deflected = sum(value for _, value, _ in deflection)
    scored = [c.score for c in fit if c.score is not None]
    return KpiView(
        weekly_by_source=_fold(weekly, lambda source, _: label(Source, source)),
        weekly_by_stage=_fold(weekly, lambda _, tp: stage_of.get(tp, "(removed)")),
        signals=sum(n for *_, n in weekly),
        routed=tally.routed,
        kept=tally.kept,
        time_to_route_h=time_to_route,
        time_to_fix_d=time_to_fix,
        loops_closed=closed,
        loops_due=due,
        notices_sent=sent,
        notices_drafted=drafted,
        recurrence=recurrence,
        deflection=deflection,
        csat=csat,
        costs=costs,
        deflected=deflected,
        cost_saved=kpis.cost_saved(deflected=deflected, avoided=recurrence.avoided, costs=costs),
        fit_score=round(sum(scored) / len(scored)) if scored else None,
        fit_components=[(c.component.label, c.score) for c in fit],
        fix_titles=titles,
    )


def _fold(weekly, key) -> list[tuple[date, str, int]]:
    totals: dict[tuple[date, str], int] = {}
    for week, source, tp, n in weekly:
        slot = (week, key(source, tp))
        totals[slot] = totals.get(slot, 0) + n
    return [(week, name, n) for (week, name), n in sorted(totals.items())]
