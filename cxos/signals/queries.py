"""Read-side queries for the friction log: filtered pages, counts, this week at a glance, timelines.

Pages use LIMIT/OFFSET on the (created_at, id) and (status, created_at, id) indexes and aggregates
GROUP BY in the database. The one scan is a text search (a substring can sit anywhere), so its
count is capped; see README "Benchmarks" for what that costs at a million signals.
"""

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from cxos.journey.map import TouchpointOption
from cxos.models import Event, Signal
from cxos.signals.lifecycle import TRIAGE_STATUSES
from cxos.url_params import Unreadable, read_id
from cxos.vocabulary import REVIEW_DRIVERS, EventEntity

LIST_COLUMNS = (
    Signal.id,
    Signal.created_at,
    Signal.title,
    Signal.source,
    Signal.severity,
    Signal.status,
    Signal.touchpoint_id,
    Signal.owner_team_id,
    Signal.account,
    Signal.arr,
)


@dataclass(frozen=True)
class SignalFilter:
    """What the friction log is narrowed to. Empty tuples mean 'any'."""

    stage_ids: tuple[int, ...] = ()
    touchpoint_ids: tuple[int, ...] = ()
    components: tuple[str, ...] = ()
    team_ids: tuple[int, ...] = ()
    unowned: bool = False  # with team_ids: also signals with no owner; alone: only those
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None  # inclusive
    text: str = ""
    flagged: bool = False  # only signals flagged for review (high effort, strong emotion, a poor answer)
    # The journey, needed to resolve stage and component filters.
    touchpoints: tuple[TouchpointOption, ...] = field(default=(), compare=False, repr=False)

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        touchpoint_ids = self._touchpoint_scope()
        if touchpoint_ids is not None:
            where.append(col(Signal.touchpoint_id).in_(touchpoint_ids))
        if self.team_ids and self.unowned:
            where.append(
                or_(col(Signal.owner_team_id).in_(self.team_ids), col(Signal.owner_team_id).is_(None))
            )
        elif self.team_ids:
            where.append(col(Signal.owner_team_id).in_(self.team_ids))
        elif self.unowned:
            where.append(col(Signal.owner_team_id).is_(None))
        if self.statuses:
            where.append(col(Signal.status).in_(self.statuses))
        if self.sources:
            where.append(col(Signal.source).in_(self.sources))
        if self.since:
            where.append(col(Signal.created_at) >= start_of(self.since))
        if self.until:
            where.append(col(Signal.created_at) < start_of(self.until + timedelta(days=1)))
        if self.flagged:
            where.append(flagged_for_review())
        text = self.text.strip()
        if text:
            matches = [
                column.icontains(text, autoescape=True)
                for column in (
                    col(Signal.title),
                    col(Signal.description),
                    col(Signal.account),
                    col(Signal.external_ref),
                )
            ]
            with suppress(Unreadable):  # "#12" also finds signal 12; "²" or 20 digits is only text
                matches.append(col(Signal.id) == read_id(text.lstrip("#")))
            where.append(or_(*matches))
        return where

    def _touchpoint_scope(self) -> list[int] | None:
        """Stage and component filters resolve to touchpoint ids on the small journey table, not by a join."""
        if not (self.stage_ids or self.components):
            return list(self.touchpoint_ids) if self.touchpoint_ids else None
        return [
            tp.id
            for tp in self.touchpoints
            if (not self.stage_ids or tp.stage_id in self.stage_ids)
            and (not self.components or tp.component in self.components)
            and (not self.touchpoint_ids or tp.id in self.touchpoint_ids)
        ]


def flagged_for_review() -> ColumnElement[bool]:
    """A signal with any driver of REVIEW_DRIVERS: the conversation went badly, for QA or a team lead."""
    return or_(*(col(getattr(Signal, driver)).is_(True) for driver in REVIEW_DRIVERS))


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


COUNT_CAP = 10_000


def count_signals(session: Session, signal_filter: SignalFilter, *, cap: int | None = None) -> int:
    """How many signals match; with `cap`, stop counting past it (a text search scans, so it is capped)."""
    matching = select(Signal.id).where(*signal_filter.conditions())
    if cap is not None:
        matching = matching.limit(cap + 1)
    return session.exec(select(func.count()).select_from(matching.subquery())).one()


def page_of_signals(
    session: Session, signal_filter: SignalFilter, *, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """One page of the log, newest first, as plain dicts (no ORM objects leave the read session)."""
    query = (
        select(*LIST_COLUMNS)  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
        .where(*signal_filter.conditions())
        .order_by(col(Signal.created_at).desc(), col(Signal.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(row._mapping) for row in session.exec(query)]


def get_signal(session: Session, signal_id: int) -> Signal | None:
    return session.get(Signal, signal_id)


def timeline(session: Session, entity: EventEntity, entity_id: int) -> list[Event]:
    query = select(Event).where(Event.entity == entity, Event.entity_id == entity_id).order_by(col(Event.id))
    return list(session.exec(query))


def count_between(session: Session, start: datetime, end: datetime) -> int:
    query = (
        select(func.count()).select_from(Signal).where(Signal.created_at >= start, Signal.created_at < end)
    )
    return session.exec(query).one()


def counts_by(session: Session, column: Any, start: datetime, end: datetime) -> dict[Any, int]:
    """Signals created in [start, end) grouped by one column, counted in the database."""
    query = (
        select(column, func.count())
        .where(Signal.created_at >= start, Signal.created_at < end)
        .group_by(column)
    )
    return {key: n for key, n in session.exec(query)}


def weekly_counts(session: Session, *, weeks: int, now: datetime) -> list[tuple[date, int]]:
    """New signals per rolling week ending `now`, oldest first; one indexed range count per week."""
    out = []
    for back in range(weeks - 1, -1, -1):
        end = now - timedelta(days=7 * back)
        out.append(((end - timedelta(days=7)).date(), count_between(session, end - timedelta(days=7), end)))
    return out


def triage_condition() -> ColumnElement[bool]:
    return and_(
        col(Signal.owner_team_id).is_(None), col(Signal.status).in_([s.value for s in TRIAGE_STATUSES])
    )


def triage_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Signal).where(triage_condition())).one()


def triage_queue(session: Session, *, limit: int) -> list[dict[str, Any]]:
    """Signals waiting for an owner, oldest first: the longest wait is the first to route."""
    query = (
        select(*LIST_COLUMNS)  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
        .where(triage_condition())
        .order_by(col(Signal.created_at), col(Signal.id))
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.exec(query)]


def newest_signals(session: Session, *, limit: int) -> list[dict[str, Any]]:
    return page_of_signals(session, SignalFilter(), limit=limit)
