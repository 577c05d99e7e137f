"""Cached loaders between pages and `cxos`: keyed by their arguments and the data versions of what they read.

Every write transaction gives each table it changed a new data version (cxos/store/versions.py). A loader
declares the tables it reads (`@versioned(Signal, Fix)`); each rerun reads the versions once (one small query,
at most every TOKENS_MAX_AGE_S per process) and a loader runs again only when one of its tables changed: in
this process or any other on the same database, our own writes at once, anyone else's within two seconds.
"""

import functools
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import streamlit as st
from sqlmodel import SQLModel

from components.common.sheet_status import toast_if_queued
from cxos import config
from cxos.clock import today, utcnow
from cxos.journey.map import TouchpointOption, stages, teams, touchpoint_options
from cxos.kpis import headline
from cxos.models import Fix, Setting, Signal, Stage, Team, Touchpoint, table_of
from cxos.signals import queries
from cxos.store.settings import setting_version
from cxos.store.sheets.address import is_sheets_url
from cxos.store.store import Store
from cxos.store.versions import current_tokens

TOKENS_MAX_AGE_S = 1.0  # how stale another process's write may look here; with the query below, within 2 s


@st.cache_resource(show_spinner="Opening the friction log…")
def _open_store(url: str) -> Store:
    if is_sheets_url(url):
        from cxos.store.sheets.store import (
            open_sheets_store,  # gspread is loaded only when a sheet is the backend
        )

        return open_sheets_store(url, service_account=sheets_service_account())
    return Store.open(url)


def sheets_service_account() -> dict[str, Any] | None:
    """The Google service account from .streamlit/secrets.toml ([gcp_service_account]), if there is one;
    without it cxos falls back to the key file named by CXOS_SHEETS_CREDENTIALS."""
    try:
        return dict(st.secrets["gcp_service_account"]) if "gcp_service_account" in st.secrets else None
    except Exception:  # no secrets file at all
        return None


def get_store() -> Store:
    return _open_store(config.database_url())


class _Tokens:
    """The data versions of every table, read at most every TOKENS_MAX_AGE_S in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read_at = -1e9
        self._tokens: dict[str, str] = {}

    def get(self) -> dict[str, str]:
        with self._lock:
            if time.monotonic() - self._read_at > TOKENS_MAX_AGE_S:
                with get_store().read() as session:
                    self._tokens = current_tokens(session)
                self._read_at = time.monotonic()
            return self._tokens

    def forget(self) -> None:
        with self._lock:
            self._read_at = -1e9


_TOKENS = _Tokens()

_P = ParamSpec("_P")
_R = TypeVar("_R")


def versioned(
    *models: type[SQLModel], show_spinner: bool | str = False, max_entries: int | None = None
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """`st.cache_data` keyed by the loader's arguments and the data versions of the tables of `models`.

    Events are versioned with the entity they describe (every change writes its event in its transaction),
    so a loader of signal events names `Signal`.
    """
    tables = tuple(table_of(model).name for model in models)

    def decorate(load: Callable[_P, _R]) -> Callable[_P, _R]:
        signature = inspect.signature(load)

        def keyed(
            tokens: tuple[str, ...], key: tuple[tuple[str, Any], ...], _call: inspect.BoundArguments
        ) -> _R:
            return load(*_call.args, **_call.kwargs)

        # st.cache_data tells functions apart by module and qualified name: give each loader its own.
        keyed.__module__, keyed.__qualname__ = load.__module__, load.__qualname__
        cached = st.cache_data(show_spinner=show_spinner, max_entries=max_entries)(keyed)

        @functools.wraps(load)
        def loader(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            call = signature.bind(*args, **kwargs)
            call.apply_defaults()
            # As with st.cache_data, an argument whose name starts with "_" is passed on but not part of the key.
            key = tuple((name, value) for name, value in call.arguments.items() if not name.startswith("_"))
            tokens = _TOKENS.get()
            return cached(tuple(tokens.get(name, "") for name in tables), key, call)

        loader.clear = cached.clear  # type: ignore[attr-defined]
        return loader

    return decorate


@versioned(Setting)
def load_setting_versions(keys: tuple[str, ...]) -> dict[str, int]:
    """The stored version of each setting (0: never saved), to be sent back with a change of it."""
    with get_store().read() as session:
        return {key: setting_version(session, key) for key in keys}


def refresh_after_write() -> None:
    """After our own write: read the data versions again now, so exactly what the write changed reloads."""
    _TOKENS.forget()
    toast_if_queued(get_store())


@dataclass(frozen=True)
class Journey:
    """The small journey tables every page needs for names and pickers."""

    touchpoints: tuple[TouchpointOption, ...]
    stages: tuple[tuple[int, str], ...]
    teams: tuple[tuple[int, str], ...]

    def touchpoint(self, touchpoint_id: int | None) -> TouchpointOption | None:
        return next((tp for tp in self.touchpoints if tp.id == touchpoint_id), None)

    def team_name(self, team_id: int | None) -> str | None:
        return dict(self.teams).get(team_id)

    def where(self, touchpoint_id: int | None) -> str:
        tp = self.touchpoint(touchpoint_id)
        return tp.label if tp else f"touchpoint #{touchpoint_id}"


@versioned(Touchpoint, Stage, Team)
def load_journey() -> Journey:
    with get_store().read() as session:
        return Journey(
            touchpoints=tuple(touchpoint_options(session, include_archived=True)),
            stages=tuple((s.id, s.name) for s in stages(session)),
            teams=tuple((t.id, t.name) for t in teams(session)),
        )


@dataclass(frozen=True)
class LogPage:
    total: int  # matching signals, or the cap when `more` is set
    more: bool  # a text search matched more than queries.COUNT_CAP; counting further would scan the table
    rows: list[dict[str, Any]]


@versioned(Signal)
def load_log_page(signal_filter: queries.SignalFilter, page: int, page_size: int) -> LogPage:
    """How many signals match, and one page of them."""
    cap = queries.COUNT_CAP if signal_filter.text.strip() else None
    with get_store().read() as session:
        rows = queries.page_of_signals(session, signal_filter, limit=page_size, offset=page * page_size)
        if len(rows) < page_size and (rows or page == 0):
            # The last page: it already says how many match. A rare text match is the slow case (the page
            # query has just scanned the table), and it needs no second scan to count.
            total = page * page_size + len(rows)
        else:
            total = queries.count_signals(session, signal_filter, cap=cap)
    more = cap is not None and total > cap
    return LogPage(total=min(total, cap) if more else total, more=more, rows=rows)


@dataclass(frozen=True)
class Glance:
    """This week at a glance: the week window of `headline.WEEK` against the days before it."""

    today: date
    new_this_week: int
    new_last_week: int
    by_stage: dict[str, tuple[int, int]]  # stage → (this week, last week)
    by_source: dict[str, tuple[int, int]]
    weekly: list[tuple[Any, int]]
    open_signals: int
    in_triage: int
    signals_fixed: int
    fixes_shipped: int


@versioned(Signal, Fix, Touchpoint, Stage)
def load_glance(on_day: date) -> Glance:
    journey = load_journey()
    this_start = headline.WEEK.start(on_day)
    last_start, _ = headline.WEEK.before(on_day)
    end = queries.start_of(on_day + timedelta(days=1))
    with get_store().read() as session:
        by_tp_now = queries.counts_by(session, Signal.touchpoint_id, this_start, end)
        by_tp_before = queries.counts_by(session, Signal.touchpoint_id, last_start, this_start)
        src_now = queries.counts_by(session, Signal.source, this_start, end)
        src_before = queries.counts_by(session, Signal.source, last_start, this_start)
        weekly = queries.weekly_counts(session, weeks=12, now=end)
        new_now, new_before = headline.new_signals(session, on_day)
        open_count = headline.open_signals(session)
        in_triage = headline.in_triage(session)
        fixed = headline.signals_fixed(session, on_day)
        shipped = headline.fixes_shipped(session, on_day)
    by_stage: dict[str, list[int]] = {name: [0, 0] for _, name in journey.stages}
    for counts, slot in ((by_tp_now, 0), (by_tp_before, 1)):
        for tp_id, n in counts.items():
            tp = journey.touchpoint(tp_id)
            by_stage.setdefault(tp.stage if tp else "(removed)", [0, 0])[slot] += n
    sources = sorted(set(src_now) | set(src_before))
    return Glance(
        today=on_day,
        new_this_week=new_now,
        new_last_week=new_before,
        by_stage={k: (v[0], v[1]) for k, v in by_stage.items()},
        by_source={s: (src_now.get(s, 0), src_before.get(s, 0)) for s in sources},
        weekly=weekly,
        open_signals=open_count,
        in_triage=in_triage,
        signals_fixed=fixed,
        fixes_shipped=shipped,
    )


@versioned(Signal)
def load_triage_queue(limit: int) -> list[dict[str, Any]]:
    with get_store().read() as session:
        return queries.triage_queue(session, limit=limit)


@versioned(Signal)
def load_newest(limit: int) -> list[dict[str, Any]]:
    with get_store().read() as session:
        return queries.newest_signals(session, limit=limit)


def glance_now() -> datetime:
    """The end of the current hour: windows that end 'now' still count a signal logged seconds ago, and a
    loader keyed by it runs again at most once an hour unless its data changed."""
    return utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def figures_day() -> date:
    """The day the shared figures' windows end on (`cxos.kpis.headline`)."""
    return today()
