"""Live figures per failure mode, from bounded SQL aggregates: signals, accounts, ARR, first/last seen, weekly trend, fix."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from cxos.models import FailureMode, Fix, Signal, saved_id
from cxos.signals.queries import LIST_COLUMNS

TREND_WEEKS = 12
MAX_FAILURE_MODES = 500
MAX_SIGNALS_SHOWN = 1_000


@dataclass(frozen=True)
class FailureModeFigures:
    id: int
    name: str
    status: str
    version: int
    owner_team_id: int | None
    root_cause: str | None
    upstream_cause: str
    touchpoint_id: int | None
    merged_into_id: int | None
    signals: int
    accounts: int
    arr: int  # each affected account's ARR once: its highest on these signals
    first_seen: datetime | None
    last_seen: datetime | None
    weekly: tuple[int, ...]  # signals per rolling week, oldest first, the last one ending now
    fix_title: str | None
    fix_status: str | None

    @property
    def recurrence(self) -> int:
        """Signals in the trend window: how often it keeps happening lately."""
        return sum(self.weekly)

    @property
    def priority(self) -> int:
        """Recurrence × ARR affected: what the council ranks by."""
        return self.recurrence * self.arr


def failure_mode_figures(
    session: Session,
    *,
    now: datetime,
    statuses: tuple[str, ...] = ("accepted", "candidate"),
    ids: tuple[int, ...] | None = None,
    weeks: int = TREND_WEEKS,
) -> list[FailureModeFigures]:
    """Every failure mode in `statuses` (or the given `ids`, whatever their status) with its figures,
    highest priority first."""
    chosen = col(FailureMode.id).in_(ids) if ids is not None else col(FailureMode.status).in_(statuses)
    modes = list(
        session.exec(select(FailureMode).where(chosen).order_by(col(FailureMode.id)).limit(MAX_FAILURE_MODES))
    )
    mode_ids = [saved_id(mode) for mode in modes]
    totals = _totals(session, mode_ids)
    reach = _accounts_and_arr(session, mode_ids)
    trend = weekly_counts(session, mode_ids, now=now, weeks=weeks)
    fixes = _latest_fixes(session, mode_ids)
    figures = [
        FailureModeFigures(
            id=mode_id,
            name=m.name,
            status=m.status,
            version=m.version,
            owner_team_id=m.owner_team_id,
            root_cause=m.root_cause,
            upstream_cause=m.upstream_cause,
            touchpoint_id=m.touchpoint_id,
            merged_into_id=m.merged_into_id,
            signals=totals.get(mode_id, (0, None, None))[0],
            accounts=reach.get(mode_id, (0, 0))[0],
            arr=reach.get(mode_id, (0, 0))[1],
            first_seen=totals.get(mode_id, (0, None, None))[1],
            last_seen=totals.get(mode_id, (0, None, None))[2],
            weekly=trend.get(mode_id, (0,) * weeks),
            fix_title=fixes.get(mode_id, (None, None))[0],
            fix_status=fixes.get(mode_id, (None, None))[1],
        )
        for m, mode_id in zip(modes, mode_ids, strict=True)
    ]
    return sorted(figures, key=lambda f: (-f.priority, -f.signals, f.id))


def _totals(session: Session, ids: list[int]) -> dict[int, tuple[int, datetime, datetime]]:
    if not ids:
        return {}
    query = (
        select(
            col(Signal.failure_mode_id),
            func.count(),
            func.min(Signal.created_at),
            func.max(Signal.created_at),
        )
        .where(col(Signal.failure_mode_id).in_(ids))
        .group_by(col(Signal.failure_mode_id))
    )
    return {
        mode_id: (n, first, last) for mode_id, n, first, last in session.exec(query) if mode_id is not None
    }


def _accounts_and_arr(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Distinct accounts and the sum of their ARR, each account once at its highest ARR on the signals."""
    if not ids:
        return {}
    per_account = (
        select(
            col(Signal.failure_mode_id).label("mode_id"),
            col(Signal.account),
            func.max(func.coalesce(Signal.arr, 0)).label("arr"),
        )
        .where(col(Signal.failure_mode_id).in_(ids), col(Signal.account).is_not(None), Signal.account != "")
        .group_by(col(Signal.failure_mode_id), col(Signal.account))
        .subquery()
    )
    query = select(per_account.c.mode_id, func.count(), func.sum(per_account.c.arr)).group_by(
        per_account.c.mode_id
    )
    return {mode_id: (n, int(arr or 0)) for mode_id, n, arr in session.exec(query)}


def weekly_counts(
    session: Session, ids: list[int], *, now: datetime, weeks: int = TREND_WEEKS
) -> dict[int, tuple[int, ...]]:
    """Signals per rolling week for each failure mode, in one query: a CASE puts each signal in its week."""
    if not ids:
        return {}
    starts = [now - timedelta(days=7 * (weeks - week)) for week in range(weeks)]
    bucket = case(
        *((col(Signal.created_at) >= starts[week], week) for week in range(weeks - 1, -1, -1)), else_=-1
    )
    query = (
        select(col(Signal.failure_mode_id), bucket.label("week"), func.count())
        .where(col(Signal.failure_mode_id).in_(ids), Signal.created_at >= starts[0], Signal.created_at < now)
        .group_by(col(Signal.failure_mode_id), "week")
    )
    counts: dict[int, list[int]] = {}
    for mode_id, week, n in session.exec(query):
        assert mode_id is not None  # the query asks for these modes only
        counts.setdefault(mode_id, [0] * weeks)[week] = n
    return {mode_id: tuple(values) for mode_id, values in counts.items()}


def _latest_fixes(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    fixes = session.exec(
        select(col(Fix.failure_mode_id), col(Fix.title), col(Fix.status))
        .where(col(Fix.failure_mode_id).in_(ids))
        .order_by(col(Fix.id))
    )
    return {mode_id: (title, status) for mode_id, title, status in fixes}  # the newest fix wins


def signals_of(
    session: Session, failure_mode_id: int, *, limit: int = MAX_SIGNALS_SHOWN
) -> list[dict[str, Any]]:
    """A failure mode's signals, newest first, as plain dicts for the signal table (with the version shown, for
    an unlink to be checked against)."""
    query = (
        select(*LIST_COLUMNS, Signal.version)  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
        .where(Signal.failure_mode_id == failure_mode_id)
        .order_by(col(Signal.created_at).desc(), col(Signal.id).desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.exec(query)]
