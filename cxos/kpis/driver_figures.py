"""CX drivers counted for the screens that decide: the mix, its weekly trend, drivers by journey stage.

Counts are signals created in [start, end) (owned by one of `team_ids`, when given) that have the driver, whoever set it (a person or the detector,
cxos/signals/drivers.py). One signal may have several drivers, so the mix does not add up to the signals.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, case, func
from sqlmodel import Session, col, select

from cxos.journey.friction import week_start
from cxos.models import Signal, Stage, Touchpoint
from cxos.signals.queries import flagged_for_review
from cxos.vocabulary import DRIVERS


def _has(driver: str) -> Any:
    return func.sum(case((col(getattr(Signal, driver)).is_(True), 1), else_=0)).cast(Integer)


def _window(query: Any, start: datetime, end: datetime, team_ids: tuple[int, ...]) -> Any:
    query = query.where(col(Signal.created_at) >= start, col(Signal.created_at) < end)
    return query.where(col(Signal.owner_team_id).in_(team_ids)) if team_ids else query


def driver_mix(
    session: Session, *, start: datetime, end: datetime, team_ids: tuple[int, ...] = ()
) -> dict[str, Any]:
    """{driver field: signals with it} for every driver, plus 'signals' (all) and 'flagged' (for review)."""
    flagged = func.sum(case((flagged_for_review(), 1), else_=0)).cast(Integer)
    query = _window(select(func.count(), flagged, *(_has(d) for d in DRIVERS)), start, end, team_ids)
    total, flagged_count, *counts = session.exec(query).one()
    return {"signals": int(total or 0), "flagged": int(flagged_count or 0)} | {
        driver: int(n or 0) for driver, n in zip(DRIVERS, counts, strict=True)
    }


def driver_trend(
    session: Session, *, start: datetime, end: datetime, team_ids: tuple[int, ...] = ()
) -> list[tuple[date, str, int]]:
    """(week's Monday, driver field, signals with it) for each week of the range that has signals."""
    week = week_start(session.get_bind().dialect.name).label("week")
    query = _window(select(week, *(_has(d) for d in DRIVERS)), start, end, team_ids).group_by(week)
    rows: list[tuple[date, str, int]] = []
    for monday, *counts in session.exec(query).all():
        day = monday if isinstance(monday, date) else date.fromisoformat(str(monday)[:10])
        rows.extend((day, driver, int(n or 0)) for driver, n in zip(DRIVERS, counts, strict=True))
    return sorted(rows)


def drivers_by_stage(
    session: Session, *, start: datetime, end: datetime, team_ids: tuple[int, ...] = ()
) -> list[tuple[str, int, str, int]]:
    """(stage name, stage position, driver field, signals with it), every stage that has signals in the range."""
    query = select(Stage.name, Stage.position, *(_has(d) for d in DRIVERS))
    query = query.join(Touchpoint, col(Touchpoint.id) == Signal.touchpoint_id)
    query = query.join(Stage, col(Stage.id) == Touchpoint.stage_id)
    query = _window(query, start, end, team_ids).group_by(Stage.id, Stage.name, Stage.position)
    return [
        (str(name), int(position), driver, int(n or 0))
        for name, position, *counts in session.exec(query).all()
        for driver, n in zip(DRIVERS, counts, strict=True)
    ]
