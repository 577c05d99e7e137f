"""Figures the council looks at: the pulse since the last council, and failure modes ranked by recurrence × ARR × severity."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from cxos.clock import today as clock_today
from cxos.failure_modes.figures import FailureModeFigures, failure_mode_figures
from cxos.journey.friction import Cell, Window, friction_cells
from cxos.kpis import headline
from cxos.models import Signal
from cxos.routing.accuracy import Tally
from cxos.signals import queries
from cxos.vocabulary import Severity

MOVERS = 5
RANKED = 8


@dataclass(frozen=True)
class Mover:
    touchpoint_id: int
    now: int
    before: int

    @property
    def rise(self) -> int:
        return self.now - self.before


@dataclass(frozen=True)
class Pulse:
    since: datetime
    now: datetime
    new_signals: int
    new_before: int  # in the same-length window just before
    cells: list[Cell]
    movers: list[Mover]  # the largest rises first
    routing: Tally  # headline.ROUTING_ACCURACY: its own window, the same figure as on every page
    fixes_shipped: int  # headline.FIXES_SHIPPED, likewise
    today: date  # the day the shared figures' windows end on


def pulse(session: Session, *, since: datetime, now: datetime, today: date | None = None) -> Pulse:
    """New signals and where they landed since `since`; beside them, the shared figures as every page has them."""
    on_day = today or clock_today()
    window = Window(since, now)
    cells = friction_cells(session, window)
    before = friction_cells(session, window.previous())
    return Pulse(
        since=since,
        now=now,
        new_signals=queries.count_between(session, since, now),
        new_before=queries.count_between(session, window.previous().start, since),
        cells=cells,
        movers=biggest_movers(cells, before),
        routing=headline.routing(session, on_day).overall,
        fixes_shipped=headline.fixes_shipped(session, on_day),
        today=on_day,
    )


def biggest_movers(now: list[Cell], before: list[Cell], *, limit: int = MOVERS) -> list[Mover]:
    """Touchpoints whose signals rose most against the window before (only rises)."""
    counts: dict[int, list[int]] = {}
    for slot, cells in ((0, now), (1, before)):
        for cell in cells:
            counts.setdefault(cell.touchpoint_id, [0, 0])[slot] += cell.signals
    movers = [Mover(tp, n, b) for tp, (n, b) in counts.items() if n > b]
    return sorted(movers, key=lambda m: (-m.rise, -m.now, m.touchpoint_id))[:limit]


@dataclass(frozen=True)
class RankedFailureMode:
    figures: FailureModeFigures
    severity: float  # the mean severity weight of its signals (low 1 … critical 5)

    @property
    def score(self) -> float:
        """Recurrence × ARR affected × severity: what the council works down."""
        return self.figures.priority * self.severity


def mean_severity(session: Session, ids: list[int]) -> dict[int, float]:
    if not ids:
        return {}
    points = case(*((col(Signal.severity) == s.value, s.weight) for s in Severity), else_=1)
    query = (
        select(col(Signal.failure_mode_id), func.avg(points))
        .where(col(Signal.failure_mode_id).in_(ids))
        .group_by(col(Signal.failure_mode_id))
    )
    return {mode_id: float(avg or 1) for mode_id, avg in session.exec(query) if mode_id is not None}


def ranked_failure_modes(session: Session, *, now: datetime, limit: int = RANKED) -> list[RankedFailureMode]:
    """Accepted and candidate failure modes that recur, highest recurrence × ARR × severity first."""
    figures = [f for f in failure_mode_figures(session, now=now) if f.recurrence]
    severity = mean_severity(session, [f.id for f in figures])
    ranked = [RankedFailureMode(f, severity.get(f.id, 1.0)) for f in figures]
    return sorted(ranked, key=lambda r: (-r.score, -r.figures.recurrence, r.figures.id))[:limit]
