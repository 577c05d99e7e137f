"""Friction aggregated in the database: per touchpoint and per week, weighted by count, ARR or severity.

The journey map and the heatmaps both read from here. SQL does the GROUP BY over signals (touchpoint,
optionally week); stage and component roll-ups happen on that small result, since a touchpoint fixes
both. Nothing here ships raw signal rows to a chart.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, literal_column
from sqlmodel import Session, col, select

from cxos.models import FailureMode, Signal
from cxos.vocabulary import Severity


class Weight(StrEnum):
    COUNT = "count"
    ARR = "arr"
    SEVERITY = "severity"

    @property
    def label(self) -> str:
        return {"count": "Signals", "arr": "ARR affected ($)", "severity": "Severity-weighted signals"}[
            self.value
        ]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def previous(self) -> "Window":
        return Window(self.start - (self.end - self.start), self.start)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The last day inside the window (its end is exclusive): the `until` of the same signals in the log."""
        return (self.end - timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class Cell:
    """One aggregated cell: a touchpoint (and a week, when bucketed) with its friction figures."""

    touchpoint_id: int
    week: date | None
    signals: int
    severity: int
    arr: int


def week_start(dialect: str) -> Any:
    """The Monday of a signal's week, as a SQL expression, for SQLite or PostgreSQL."""
    if dialect == "sqlite":
        return func.date(Signal.created_at, "weekday 0", "-6 days")
    return func.date(func.date_trunc(literal_column("'week'"), Signal.created_at))


def _severity_points() -> Any:
    return case(*((col(Signal.severity) == s.value, s.weight) for s in Severity), else_=1)


def friction_cells(
    session: Session, window: Window, *, by_week: bool = False, owner_team_ids: tuple[int, ...] = ()
) -> list[Cell]:
    """Signals, severity points and ARR affected per touchpoint (and week) in the window.

    ARR affected counts each account once per cell, at the largest ARR any of its signals carried.
    """
    dialect = session.get_bind().dialect.name
    week = week_start(dialect).label("week") if by_week else literal_column("NULL").label("week")
    where = [col(Signal.created_at) >= window.start, col(Signal.created_at) < window.end]
    if owner_team_ids:
        where.append(col(Signal.owner_team_id).in_(owner_team_ids))
    per_account = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            col(Signal.touchpoint_id),
            week,
            col(Signal.account),
            func.count().label("signals"),
            func.sum(_severity_points()).label("severity"),
            func.max(Signal.arr).label("arr"),
        )
        .where(*where)
        .group_by(
            col(Signal.touchpoint_id),
            literal_column("week") if by_week else col(Signal.touchpoint_id),
            col(Signal.account),
        )
        .subquery()
    )
    query = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
        per_account.c.touchpoint_id,
        per_account.c.week,
        func.sum(per_account.c.signals),
        func.sum(per_account.c.severity),
        func.sum(func.coalesce(per_account.c.arr, 0)),
    ).group_by(per_account.c.touchpoint_id, per_account.c.week)
    return [Cell(tp, _as_date(wk), int(n), int(sev), int(arr)) for tp, wk, n, sev, arr in session.exec(query)]


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def top_failure_modes(session: Session, window: Window) -> dict[int, tuple[str, int]]:
    """For each touchpoint, its most frequent failure mode in the window: (name, signals)."""
    query = (
        select(col(Signal.touchpoint_id), col(FailureMode.name), func.count())
        .join(FailureMode, col(FailureMode.id) == col(Signal.failure_mode_id))
        .where(
            Signal.created_at >= window.start, Signal.created_at < window.end, FailureMode.status != "merged"
        )
        .group_by(col(Signal.touchpoint_id), col(FailureMode.name))
    )
    best: dict[int, tuple[str, int]] = {}
    for touchpoint_id, name, count in session.exec(query):
        if count > best.get(touchpoint_id, ("", 0))[1]:
            best[touchpoint_id] = (name, count)
    return best


def window_ending(now: datetime, days: int, *, whole_weeks: bool = False) -> Window:
    """The `days` before `now` in whole days: from the start of the day `days` ago to the end of today; with
    whole_weeks, from the Monday of that day so no week column is partial.

    Whole days because a heatmap cell opens its signals in the friction log, which filters by dates: the
    cell and its drill-down count the same rows only when both use this one window.
    """
    first_day = (now - timedelta(days=days)).date()
    if whole_weeks:
        first_day -= timedelta(days=first_day.weekday())
    midnight = time.min.replace(tzinfo=now.tzinfo)
    return Window(
        datetime.combine(first_day, midnight), datetime.combine(now.date() + timedelta(days=1), midnight)
    )


VIEWS = {
    "stage_component": ("stage", "component"),
    "stage_week": ("week", "stage"),
    "touchpoint_week": ("week", "touchpoint"),
}


def rollup(cells: list[Cell], touchpoints: list[Any], view: str, weight: Weight) -> list[dict[str, Any]]:
    """Sum the touchpoint cells up to the view's two axes: rows of {x, y, value, signals}.

    Cells carry ids; touchpoints (TouchpointOption) give each its stage, component and label.
    """
    x_axis, y_axis = VIEWS[view]
    by_id = {tp.id: tp for tp in touchpoints}
    totals: dict[tuple[Any, Any], list[int]] = {}
    for cell in cells:
        tp = by_id.get(cell.touchpoint_id)
        if tp is None:
            continue
        keys = {
            "stage": tp.stage,
            "component": tp.component,
            "touchpoint": tp.label,
            "week": cell.week.isoformat() if cell.week else None,
        }
        slot = totals.setdefault((keys[x_axis], keys[y_axis]), [0, 0, 0])
        slot[0] += cell.signals
        slot[1] += cell.severity
        slot[2] += cell.arr
    index = {Weight.COUNT: 0, Weight.SEVERITY: 1, Weight.ARR: 2}[weight]
    return [
        {"x": x, "y": y, "value": v[index], "signals": v[0]} for (x, y), v in sorted(totals.items(), key=str)
    ]
