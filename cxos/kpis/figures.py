"""The managers' KPIs, each with its definition: flow, routing, time to route and fix, loops, recurrence, deflection, cost."""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Float, SQLColumnExpression, cast, extract, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from cxos.fixes.recurrence import MATERIALLY_LESS, TOO_LITTLE_DATA, Recurrence, recurrence_for_fix
from cxos.journey.friction import week_start
from cxos.models import Event, Fix, LoopNotice, Signal
from cxos.store.settings import read_float
from cxos.vocabulary import EventEntity, Status

# Gartner (2019): a live-channel contact costs $8.01 on average, a self-service one $0.10.
COST_DEFAULTS = {"cost_live_contact": 8.01, "cost_self_service_contact": 0.10, "cost_per_ticket": 8.01}
COST_LABELS = {
    "cost_live_contact": "Cost per live contact ($)",
    "cost_self_service_contact": "Cost per self-service contact ($)",
    "cost_per_ticket": "Cost per ticket ($)",
}
GARTNER = (
    "Gartner, 2019: live-channel contacts (phone, chat, e-mail) cost $8.01 each on average; "
    'self-service contacts $0.10 ("Gartner Says Only 9% of Customers Report Solving Their Issues '
    'Completely via Self-Service", press release, 2019).'
)

DEFINITIONS = {
    "signals_per_week": "New signals created each week (Monday to Sunday, UTC) in the date range, by source and by "
    "the journey stage of their touchpoint. The first and last weeks "
    "may be partial. With a team chosen: signals that team owns now.",
    "routing_accuracy": "Share of first routes (by a rule, the model or a person) made since the range start whose "
    "owner the council never changed afterwards. With a team: first routes to that team.",
    "time_to_route": "Median hours from a signal being logged to its first owner, for signals logged in the range "
    "that have an owner.",
    "time_to_fix": "Median days from a signal being logged to it being marked fixed, for signals logged in the "
    "range that have been fixed.",
    "loop_closure": "Of the signals logged in the range that are fixed or loop-closed, the share whose loop is "
    "closed (the customer was told what changed).",
    "recurrence_reduction": "For fixes shipped in the range with enough data, the mean drop in the failure mode's "
    "recurrence rate: 1 − after-rate ÷ before-rate over the weeks around the ship date "
    "(normalised by ticket volume where imported). Also: how many reached 'materially less'.",
    "deflection": "Contacts resolved by self-service per month (imported metric 'deflection'), and the change from "
    "the previous month.",
    "csat": "Customer satisfaction per month, percent satisfied (imported metric 'csat').",
    "cost_saved": "Deflected contacts in the range × (cost per live contact − cost per self-service contact) + "
    "recurrences avoided by shipped fixes × cost per ticket. Avoided recurrences: for each fix, "
    "(signals per week before − signals per week after) × weeks since shipping, never below 0.",
    "fit_score": "The OS fit score (0–100): mean of the six components' scores from the data (ownership, flow, "
    "closure, recurrence, loop closure). It describes the system as it is now and cannot honestly be "
    "recomputed for past months, so its history starts today; the table shows each component now.",
}


@dataclass(frozen=True)
class KpiFilter:
    start: datetime
    end: datetime
    team_id: int | None = None


@dataclass(frozen=True)
class Costs:
    live_contact: float = COST_DEFAULTS["cost_live_contact"]
    self_service_contact: float = COST_DEFAULTS["cost_self_service_contact"]
    per_ticket: float = COST_DEFAULTS["cost_per_ticket"]


@dataclass(frozen=True)
class RecurrenceSummary:
    judged: int
    materially_less: int
    reduction: float | None  # mean of 1 − after/before across judged fixes
    avoided: float  # recurrences avoided, in signals
    fixes: list[Recurrence] = field(default_factory=list)


def costs(session: Session) -> Costs:
    return Costs(*(read_float(session, key, default) for key, default in COST_DEFAULTS.items()))


_Query = TypeVar("_Query", "Select[*tuple[Any, ...]]", "SelectOfScalar[Any]")


def _in_range(query: _Query, f: KpiFilter) -> _Query:
    query = query.where(Signal.created_at >= f.start, Signal.created_at < f.end)
    return query.where(Signal.owner_team_id == f.team_id) if f.team_id is not None else query


def signals_per_week(session: Session, f: KpiFilter) -> list[tuple[date, str, int, int]]:
    """(week's Monday, source, touchpoint id, signals), counted in the database."""
    week = week_start(session.get_bind().dialect.name).label("week")
    query = _in_range(select(week, Signal.source, Signal.touchpoint_id, func.count()), f)
    rows = session.exec(query.group_by(week, col(Signal.source), col(Signal.touchpoint_id))).all()
    return [
        (w if isinstance(w, date) else date.fromisoformat(str(w)[:10]), source, tp, n)
        for w, source, tp, n in rows
    ]


def _seconds_between(
    session: Session, later: SQLColumnExpression[datetime | None], earlier: SQLColumnExpression[datetime]
) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return cast(extract("epoch", later - earlier), Float)


def time_to_route_hours(session: Session, f: KpiFilter) -> float | None:
    gap = _seconds_between(session, col(Signal.routed_at), col(Signal.created_at))
    seconds = _median(
        session, _in_range(select(gap.label("gap")), f).where(col(Signal.routed_at).is_not(None))
    )
    return None if seconds is None else seconds / 3600


def time_to_fix_days(session: Session, f: KpiFilter) -> float | None:
    logged_in_range = _in_range(select(col(Signal.id)), f)  # the window's signals only, not every fix ever
    first_fixed = (
        select(col(Event.entity_id).label("signal_id"), func.min(Event.at).label("fixed_at"))
        .where(
            Event.field == "status",
            Event.at >= f.start,  # fixed after it was logged, so within the window's events
            Event.entity == EventEntity.SIGNAL,
            col(Event.entity_id).in_(logged_in_range),
            Event.to_value == Status.FIXED,
        )
        .group_by(col(Event.entity_id))
        .subquery()
    )
    gap = _seconds_between(session, first_fixed.c.fixed_at, col(Signal.created_at))
    query = _in_range(
        select(gap.label("gap")).select_from(Signal).join(first_fixed, first_fixed.c.signal_id == Signal.id),
        f,
    )
    seconds = session.exec(query).all()  # fewer rows than routed ones; one pass beats sorting the join twice
    return statistics.median(seconds) / 86400 if seconds else None


def _median(session: Session, query: "SelectOfScalar[float]") -> float | None:
    """The median of a one-column query, found in the database (sorted, the middle one or two rows fetched)."""
    gaps = query.subquery()
    count = session.exec(select(func.count()).select_from(gaps)).one()
    if not count:
        return None
    middle = session.exec(
        select(gaps.c.gap).order_by(gaps.c.gap).offset((count - 1) // 2).limit(2 - count % 2)
    ).all()
    return statistics.fmean(middle)


def loop_closure(session: Session, f: KpiFilter) -> tuple[int, int]:
    """(loop-closed, fixed or loop-closed) among the signals logged in the range."""
    query = _in_range(select(col(Signal.status), func.count()), f).where(
        col(Signal.status).in_((Status.FIXED, Status.LOOP_CLOSED))
    )
    counts = dict(session.exec(query.group_by(col(Signal.status))).all())
    closed = counts.get(Status.LOOP_CLOSED, 0)
    return closed, closed + counts.get(Status.FIXED, 0)


def notice_counts(session: Session, f: KpiFilter) -> tuple[int, int]:
    """(sent, drafted or sent) notices of the fixes shipped in the range."""
    query = (
        select(col(LoopNotice.status), func.count())
        .join(Fix, col(Fix.id) == col(LoopNotice.fix_id))
        .where(col(Fix.shipped_at) >= f.start, col(Fix.shipped_at) < f.end)
    )
    if f.team_id is not None:
        query = query.where(Fix.owner_team_id == f.team_id)
    counts = dict(session.exec(query.group_by(LoopNotice.status)).all())
    return counts.get("sent", 0), sum(counts.values())


def recurrence_summary(session: Session, f: KpiFilter, *, now: datetime) -> RecurrenceSummary:
    query = select(Fix).where(
        col(Fix.shipped_at).is_not(None), col(Fix.shipped_at) >= f.start, col(Fix.shipped_at) < f.end
    )
    if f.team_id is not None:
        query = query.where(Fix.owner_team_id == f.team_id)
    fixes = [
        recurrence_for_fix(session, fix, now=now) for fix in session.exec(query.order_by(col(Fix.shipped_at)))
    ]
    return summarise(fixes)


def summarise(fixes: list[Recurrence]) -> RecurrenceSummary:
    judged = [r for r in fixes if r.verdict != TOO_LITTLE_DATA and r.rate_before > 0]
    reduction = (sum(1 - r.rate_after / r.rate_before for r in judged) / len(judged)) if judged else None
    return RecurrenceSummary(
        len(judged),
        sum(r.verdict == MATERIALLY_LESS for r in judged),
        reduction,
        sum(avoided_recurrences(r) for r in judged),
        fixes,
    )


def avoided_recurrences(r: Recurrence) -> float:
    """Signals the fix kept away: (per week before − per week after) × whole weeks since shipping, at least 0."""
    if not r.weeks_before or not r.weeks_after:
        return 0.0
    return max(0.0, r.signals_before / r.weeks_before - r.signals_after / r.weeks_after) * r.weeks_after


def month_over_month(series: list[tuple[date, float]]) -> list[tuple[date, float, float | None]]:
    """(month, value, change from the month before as a fraction) — None for the first month or after a zero."""
    out: list[tuple[date, float, float | None]] = []
    previous: float | None = None
    for month, value in series:
        out.append((month, value, (value - previous) / previous if previous else None))
        previous = value
    return out


def cost_saved(*, deflected: float, avoided: float, costs: Costs) -> float:
    return deflected * (costs.live_contact - costs.self_service_contact) + avoided * costs.per_ticket
