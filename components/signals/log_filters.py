"""The friction log's filters, kept in the URL so a filtered view can be bookmarked or linked from anywhere."""

from datetime import date, timedelta

import streamlit as st

from components.common.data import Journey
from components.common.url_params import (
    set_url_params,
    url_choices,
    url_date_range,
    url_flag,
    url_ids,
    url_snapshot,
    url_text,
)
from cxos import clock
from cxos.signals.queries import SignalFilter
from cxos.vocabulary import COMPONENT_LABELS, Component, Source, Status

NO_OWNER = 0  # "— no owner (triage)" in the team filter
# The oldest day the "Logged between" picker offers (and a URL may ask for); the newest is tomorrow.
EARLIEST_DAY = date(2000, 1, 1)
SEARCH_MAX_CHARS = 200
# The log's filters in its address; lists are comma-separated ids or names, dates YYYY-MM-DD.
PARAMS = ("q", "status", "source", "stage", "touchpoint", "component", "team", "since", "until", "flagged")
SEEDED_FROM = "log_filters_seeded_from"  # the URL's filter parameters the widgets were last set from


def _latest_day() -> date:
    return clock.today() + timedelta(days=1)


def _from_query(journey: Journey) -> None:
    """Set the filter widgets from the URL whenever it holds filters the widgets did not write themselves:
    the first draw, and every link or back button that brings other filters (a heatmap cell's since/until)."""
    address = url_snapshot(PARAMS)
    if st.session_state.get(SEEDED_FROM) == address and "f_text" in st.session_state:
        return
    state = st.session_state
    state.f_text = url_text("q", "Search", max_chars=SEARCH_MAX_CHARS)
    state.f_status = url_choices("status", "Status", {s.value: s for s in Status})
    state.f_source = url_choices("source", "Source", {s.value: s for s in Source})
    state.f_component = url_choices("component", "Component", {c.value: c for c in Component})
    state.f_stage = url_ids("stage", "Stage", [sid for sid, _ in journey.stages])
    state.f_touchpoint = url_ids("touchpoint", "Touchpoint", [tp.id for tp in journey.touchpoints])
    state.f_team = url_choices("team", "Owner", {"none": NO_OWNER} | {str(t): t for t, _ in journey.teams})
    since, until = url_date_range("Logged between", lo=EARLIEST_DAY, hi=_latest_day())
    # The picker is a range from its start: a link with only an end starts the range at the earliest day.
    state.f_dates = (since or EARLIEST_DAY, until) if until else (since,) if since else ()
    state.f_flagged = url_flag("flagged", "Flagged for review")
    state[SEEDED_FROM] = address


def _picked(value: object) -> tuple[date, ...]:
    """The range picker's dates as a tuple, whatever shape a browser or an older session hands back."""
    if isinstance(value, date):
        return (value,)
    return tuple(d for d in value if isinstance(d, date)) if isinstance(value, list | tuple) else ()


def filter_bar(journey: Journey) -> SignalFilter:
    _from_query(journey)
    search, dates, statuses, sources, flagged = st.columns([3, 2, 2, 2, 2], vertical_alignment="bottom")
    search.text_input("Search", key="f_text", placeholder="Title, details, account, ticket link or #id")
    dates.date_input(
        "Logged between",
        key="f_dates",
        value=(),  # a range picker: a tuple of no, one (first click) or two dates, never a bare date
        min_value=EARLIEST_DAY,
        max_value=_latest_day(),
        format="YYYY-MM-DD",
    )
    statuses.multiselect(
        "Status", list(Status), key="f_status", format_func=lambda s: s.label, placeholder="Any"
    )
    sources.multiselect(
        "Source", list(Source), key="f_source", format_func=lambda s: s.label, placeholder="Any"
    )
    flagged.toggle(
        "Flagged for review",
        key="f_flagged",
        help="Only signals with high customer effort, strong emotion, or a poor answer (AI or person): "
        "set by hand or detected from the text.",
    )
    stage, touchpoint, component, team = st.columns(4)
    stage.multiselect(
        "Stage",
        [sid for sid, _ in journey.stages],
        key="f_stage",
        format_func=dict(journey.stages).get,
        placeholder="Any",
    )
    touchpoint.multiselect(
        "Touchpoint",
        [tp.id for tp in journey.touchpoints],
        key="f_touchpoint",
        format_func=journey.where,
        placeholder="Any",
    )
    component.multiselect(
        "Component", list(Component), key="f_component", format_func=COMPONENT_LABELS.get, placeholder="Any"
    )
    team.multiselect(
        "Owner",
        [NO_OWNER, *(tid for tid, _ in journey.teams)],
        key="f_team",
        format_func=lambda t: "— no owner (triage)" if t == NO_OWNER else journey.team_name(t),
        placeholder="Any",
    )
    state = st.session_state
    picked_dates = _picked(state.f_dates)
    signal_filter = SignalFilter(
        stage_ids=tuple(state.f_stage),
        touchpoint_ids=tuple(state.f_touchpoint),
        components=tuple(str(c) for c in state.f_component),
        team_ids=tuple(t for t in state.f_team if t != NO_OWNER),
        unowned=NO_OWNER in state.f_team,
        statuses=tuple(str(s) for s in state.f_status),
        sources=tuple(str(s) for s in state.f_source),
        since=picked_dates[0] if picked_dates else None,
        until=picked_dates[1] if len(picked_dates) > 1 else None,
        text=state.f_text,
        flagged=bool(state.f_flagged),
        touchpoints=journey.touchpoints,
    )
    _to_query(signal_filter)
    return signal_filter


def _to_query(f: SignalFilter) -> None:
    """Mirror the filters into the URL (keeping other parameters such as ?signal=)."""
    set_url_params(
        q=f.text.strip(),
        status=",".join(f.statuses),
        source=",".join(f.sources),
        component=",".join(f.components),
        stage=",".join(map(str, f.stage_ids)),
        touchpoint=",".join(map(str, f.touchpoint_ids)),
        team=",".join((["none"] if f.unowned else []) + [str(t) for t in f.team_ids]),
        since=f.since.isoformat() if f.since else "",
        until=f.until.isoformat() if f.until else "",
        flagged="1" if f.flagged else "",
    )
    st.session_state[SEEDED_FROM] = url_snapshot(PARAMS)
