"""Recurrence before vs after a shipped fix: signals per week for its failure mode, normalised by activity, and a verdict.

The verdict rule (the one the app shows next to every chart):

* **too little data** — fewer than MIN_SIGNALS_BEFORE signals in the weeks before the fix, or fewer than
  MIN_WEEKS_AFTER whole weeks have passed since it shipped;
* **materially less** — the after-rate is at most 50% of the before-rate (the failure appears materially
  less, or stops appearing);
* **worse** — the after-rate is at least 120% of the before-rate;
* **no clear change** — anything in between.

A rate is signals per week; when every week in both windows has an activity figure (imported metric
"ticket_volume", else "active_accounts"), it is signals per 1,000 units of that activity instead, so a
quieter month does not pass for a fix.
"""

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from cxos.models import Fix, MetricValue, Signal

DEFAULT_WEEKS = 6
MIN_SIGNALS_BEFORE = 8
MIN_WEEKS_AFTER = 2
MATERIALLY_LESS_AT = 0.5
WORSE_AT = 1.2
ACTIVITY_METRICS = ("ticket_volume", "active_accounts")
UNIT_NAMES = {"ticket_volume": "tickets", "active_accounts": "active accounts"}
WEEK = timedelta(weeks=1)

MATERIALLY_LESS = "materially less"
NO_CLEAR_CHANGE = "no clear change"
WORSE = "worse"
TOO_LITTLE_DATA = "too little data"
VERDICTS = (MATERIALLY_LESS, NO_CLEAR_CHANGE, WORSE, TOO_LITTLE_DATA)
RULE = (
    f"Materially less: after-rate ≤ {MATERIALLY_LESS_AT:.0%} of the before-rate. Worse: after-rate ≥ "
    f"{WORSE_AT:.0%} of it. No clear change: in between. Too little data: fewer than {MIN_SIGNALS_BEFORE} "
    f"signals before, or fewer than {MIN_WEEKS_AFTER} whole weeks since shipping."
)


@dataclass(frozen=True)
class WeekPoint:
    week_start: datetime
    side: str  # "before" | "after"
    signals: int
    rate: float  # signals, or signals per 1,000 activity units when normalised


@dataclass(frozen=True)
class Recurrence:
    fix_id: int | None
    failure_mode_id: int
    shipped_at: datetime
    weeks_before: int
    weeks_after: int
    signals_before: int
    signals_after: int
    rate_before: float
    rate_after: float
    normalised_by: str | None
    verdict: str
    explanation: str
    weeks: list[WeekPoint] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        """After-rate relative to before-rate, −1.0 = gone; None when there was nothing before."""
        return None if self.rate_before == 0 else self.rate_after / self.rate_before - 1

    @property
    def rate_unit(self) -> str:
        return (
            f"signals per 1,000 {UNIT_NAMES.get(self.normalised_by, self.normalised_by)}"
            if self.normalised_by
            else "signals per week"
        )


def recurrence_for_fix(
    session: Session, fix: Fix, *, now: datetime, weeks: int = DEFAULT_WEEKS
) -> Recurrence:
    if fix.shipped_at is None:
        raise ValueError(f"fix #{fix.id} has not shipped")
    return recurrence(
        session,
        failure_mode_id=fix.failure_mode_id,
        shipped_at=_aware(fix.shipped_at),
        now=now,
        weeks=weeks,
        fix_id=fix.id,
    )


def recurrence(
    session: Session,
    *,
    failure_mode_id: int,
    shipped_at: datetime,
    now: datetime,
    weeks: int = DEFAULT_WEEKS,
    fix_id: int | None = None,
) -> Recurrence:
    """Count the failure mode's signals week by week around `shipped_at` and judge the change."""
    start, end = shipped_at - weeks * WEEK, min(shipped_at + weeks * WEEK, now)
    weeks_after = max(0, int((end - shipped_at) / WEEK))
    end = shipped_at + weeks_after * WEEK  # whole weeks only: a half week would read as a drop
    created = session.exec(
        select(Signal.created_at).where(
            Signal.failure_mode_id == failure_mode_id, Signal.created_at >= start, Signal.created_at < end
        )
    ).all()
    buckets = Counter(int((_aware(at) - shipped_at) // WEEK) for at in created)
    week_offsets = list(range(-weeks, weeks_after))
    activity, metric = _weekly_activity(session, [shipped_at + k * WEEK for k in week_offsets])
    points = []
    for k in week_offsets:
        count = buckets.get(k, 0)
        per = activity[k + weeks] if metric else None
        points.append(
            WeekPoint(
                shipped_at + k * WEEK,
                "before" if k < 0 else "after",
                count,
                count * 1000 / per if per else float(count),
            )
        )
    before = [p for p in points if p.side == "before"]
    after = [p for p in points if p.side == "after"]
    rate_before = _rate(before, activity[:weeks] if metric else None)
    rate_after = _rate(after, activity[weeks:] if metric else None)
    n_before, n_after = sum(p.signals for p in before), sum(p.signals for p in after)
    verdict, why = judge(n_before, weeks_after, rate_before, rate_after)
    basis = (
        f"normalised by {metric.replace('_', ' ')}" if metric else "raw counts (no activity figures imported)"
    )
    return Recurrence(
        fix_id,
        failure_mode_id,
        shipped_at,
        weeks,
        weeks_after,
        n_before,
        n_after,
        rate_before,
        rate_after,
        metric,
        verdict,
        f"{why}; {basis}",
        points,
    )


def judge(signals_before: int, weeks_after: int, rate_before: float, rate_after: float) -> tuple[str, str]:
    """The verdict and its reason in words, by the rule in this module's docstring."""
    if signals_before < MIN_SIGNALS_BEFORE:
        return TOO_LITTLE_DATA, f"only {signals_before} signals before the fix (need {MIN_SIGNALS_BEFORE})"
    if weeks_after < MIN_WEEKS_AFTER:
        return TOO_LITTLE_DATA, f"{weeks_after} whole weeks since shipping (need {MIN_WEEKS_AFTER})"
    ratio = rate_after / rate_before
    words = f"after-rate is {ratio:.0%} of the before-rate"
    if ratio <= MATERIALLY_LESS_AT:
        return MATERIALLY_LESS, words
    if ratio >= WORSE_AT:
        return WORSE, words
    return NO_CLEAR_CHANGE, words


def _rate(points: list[WeekPoint], activity: list[float] | None) -> float:
    if not points:
        return 0.0
    total = sum(p.signals for p in points)
    if activity:
        return total * 1000 / sum(activity)
    return total / len(points)


def _weekly_activity(session: Session, week_starts: list[datetime]) -> tuple[list[float], str | None]:
    """Each week's share of its month's activity figure, from the first metric that covers every week."""
    for metric in ACTIVITY_METRICS:
        monthly = {
            row.period: row.value
            for row in session.exec(select(MetricValue).where(MetricValue.metric == metric))
        }
        if not monthly:
            continue
        values = []
        for start in week_starts:
            month = date(start.year, start.month, 1)
            value = monthly.get(month)
            if value is None or value <= 0:
                break
            values.append(value * 7 / calendar.monthrange(start.year, start.month)[1])
        else:
            return values, metric
    return [], None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
