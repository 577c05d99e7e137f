"""The figures more than one page shows, each defined once here with its one window; every page calls these.

A window is whole UTC days ending today (today included), so every page that shows a figure on the same day
shows the same number, and says which days it covers (`Window.text`).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from cxos.fixes.lifecycle import fixes_shipped_since
from cxos.models import Event, Signal
from cxos.routing.accuracy import RoutingAccuracy, routing_accuracy
from cxos.signals import queries
from cxos.signals.lifecycle import OPEN
from cxos.vocabulary import EventEntity, Status


@dataclass(frozen=True)
class Window:
    """The last `days` whole UTC days, today included."""

    days: int

    def start(self, today: date) -> datetime:
        return queries.start_of(today - timedelta(days=self.days - 1))

    def before(self, today: date) -> tuple[datetime, datetime]:
        """The same number of days just before."""
        start = self.start(today)
        return start - timedelta(days=self.days), start

    def text(self, today: date) -> str:
        return f"last {self.days} days, since {self.start(today):%a %d %b %Y}"


WEEK = Window(7)
ROUTING = Window(90)  # the routing-accuracy window on every page; the KPI page's default range too


@dataclass(frozen=True)
class Figure:
    """A shared figure's name and its definition, as every page shows them."""

    label: str
    window: Window | None  # None: a state of now, not a count over time
    definition: str

    def caption(self, today: date) -> str:
        return f"{self.definition} ({self.window.text(today)})" if self.window else self.definition


NEW_SIGNALS = Figure(
    "New signals", WEEK, "Signals logged; the change is against the same number of days before"
)
IN_TRIAGE = Figure(
    "In triage",
    None,
    "Open signals with no owner yet (new or needs info), now. Nothing leaves this queue unowned",
)
OPEN_SIGNALS = Figure(
    "Open signals",
    None,
    "Every signal not yet loop-closed, merged as a duplicate, or closed as won't fix, now",
)
SIGNALS_FIXED = Figure("Signals fixed", WEEK, "Signals moved to fixed (one signal fixed twice counts twice)")
FIXES_SHIPPED = Figure("Fixes shipped", WEEK, "Upstream fixes shipped or verified")
ROUTING_ACCURACY = Figure(
    "Routing accuracy",
    ROUTING,
    "Share of first routes (by a rule, the owner model or a person) whose owner the council never changed",
)
SHARED = (NEW_SIGNALS, IN_TRIAGE, OPEN_SIGNALS, SIGNALS_FIXED, FIXES_SHIPPED, ROUTING_ACCURACY)


def new_signals(session: Session, today: date) -> tuple[int, int]:
    """(signals logged in the week window, in the week before it)."""
    start = WEEK.start(today)
    before_start, _ = WEEK.before(today)
    now = queries.count_between(session, start, queries.start_of(today + timedelta(days=1)))
    return now, queries.count_between(session, before_start, start)


def in_triage(session: Session) -> int:
    return queries.triage_count(session)


def open_signals(session: Session) -> int:
    query = select(func.count()).select_from(Signal).where(col(Signal.status).in_([s.value for s in OPEN]))
    return session.exec(query).one()


def signals_fixed(session: Session, today: date) -> int:
    query = (
        select(func.count())
        .select_from(Event)
        .where(
            Event.field == "status",
            Event.at >= WEEK.start(today),
            Event.entity == EventEntity.SIGNAL,
            Event.to_value == Status.FIXED,
        )
    )
    return session.exec(query).one()


def fixes_shipped(session: Session, today: date) -> int:
    return len(fixes_shipped_since(session, since=WEEK.start(today)))


def routing(session: Session, today: date) -> RoutingAccuracy:
    """Routing accuracy over the routing window, overall and per rule, team and week."""
    return routing_accuracy(session, since=ROUTING.start(today))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
