"""Cached loaders between pages and `cxos`: small, keyed by their arguments, cleared right after a write."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import streamlit as st
from sqlalchemy import func
from sqlmodel import select

from components.common.sheet_status import toast_if_queued
from cxos import config
from cxos.clock import utcnow
from cxos.journey.map import TouchpointOption, stages, teams, touchpoint_options
from cxos.models import Event, Signal
from cxos.signals import queries
from cxos.signals.lifecycle import OPEN
from cxos.store.settings import setting_version
from cxos.store.sheets.address import is_sheets_url
from cxos.store.store import Store
from cxos.vocabulary import EventEntity, Status

LOADER_TTL_S = 30  # other people's changes show up within this; our own writes clear the cache at once


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


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_setting_versions(keys: tuple[str, ...]) -> dict[str, int]:
    """The stored version of each setting (0: never saved), to be sent back with a change of it."""
    with get_store().read() as session:
        return {key: setting_version(session, key) for key in keys}


def refresh_after_write() -> None:
    st.cache_data.clear()
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


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
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


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_log_page(signal_filter: queries.SignalFilter, page: int, page_size: int) -> LogPage:
    """How many signals match, and one page of them."""
    cap = queries.COUNT_CAP if signal_filter.text.strip() else None
    with get_store().read() as session:
        total = queries.count_signals(session, signal_filter, cap=cap)
        rows = queries.page_of_signals(session, signal_filter, limit=page_size, offset=page * page_size)
    more = cap is not None and total > cap
    return LogPage(total=min(total, cap) if more else total, more=more, rows=rows)


@dataclass(frozen=True)
class Glance:
    """This week at a glance: the last 7 days against the 7 before."""

    now: datetime
    new_this_week: int
    new_last_week: int
    by_stage: dict[str, tuple[int, int]]  # stage → (this week, last week)
    by_source: dict[str, tuple[int, int]]
    weekly: list[tuple[Any, int]]
    open_signals: int
    in_triage: int
    fixed_this_week: int


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_glance(now: datetime) -> Glance:
    journey = load_journey()
    this_start, last_start = now - timedelta(days=7), now - timedelta(days=14)
    with get_store().read() as session:
        by_tp_now = queries.counts_by(session, Signal.touchpoint_id, this_start, now)
        by_tp_before = queries.counts_by(session, Signal.touchpoint_id, last_start, this_start)
        src_now = queries.counts_by(session, Signal.source, this_start, now)
        src_before = queries.counts_by(session, Signal.source, last_start, this_start)
        weekly = queries.weekly_counts(session, weeks=12, now=now)
        open_count = session.exec(
            select(func.count()).select_from(Signal).where(Signal.status.in_([s.value for s in OPEN]))
        ).one()
        in_triage = queries.triage_count(session)
        fixed = session.exec(
            select(func.count())
            .select_from(Event)
            .where(
                Event.entity == EventEntity.SIGNAL,
                Event.field == "status",
                Event.to_value == Status.FIXED,
                Event.at >= this_start,
            )
        ).one()
    by_stage: dict[str, list[int]] = {name: [0, 0] for _, name in journey.stages}
    for counts, slot in ((by_tp_now, 0), (by_tp_before, 1)):
        for tp_id, n in counts.items():
            tp = journey.touchpoint(tp_id)
            by_stage.setdefault(tp.stage if tp else "(removed)", [0, 0])[slot] += n
    sources = sorted(set(src_now) | set(src_before))
    return Glance(
        now=now,
        new_this_week=sum(by_tp_now.values()),
        new_last_week=sum(by_tp_before.values()),
        by_stage={k: (v[0], v[1]) for k, v in by_stage.items()},
        by_source={s: (src_now.get(s, 0), src_before.get(s, 0)) for s in sources},
        weekly=weekly,
        open_signals=open_count,
        in_triage=in_triage,
        fixed_this_week=fixed,
    )


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_triage_queue(limit: int) -> list[dict[str, Any]]:
    with get_store().read() as session:
        return queries.triage_queue(session, limit=limit)


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_newest(limit: int) -> list[dict[str, Any]]:
    with get_store().read() as session:
        return queries.newest_signals(session, limit=limit)


def glance_now() -> datetime:
    """The end of the current minute: the glance cache is shared within a minute and still counts
    a signal logged seconds ago."""
    return utcnow().replace(second=0) + timedelta(minutes=1)
