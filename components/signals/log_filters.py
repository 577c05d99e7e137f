"""The friction log's filters, kept in the URL so a filtered view can be bookmarked or linked from anywhere."""

from datetime import date, timedelta

import streamlit as st

from components.common.data import Journey
from cxos import clock
from cxos.signals.queries import SignalFilter
from cxos.vocabulary import COMPONENT_LABELS, Component, Source, Status, known

NO_OWNER = 0  # "— no owner (triage)" in the team filter
# query parameter → widget key; values are comma-separated ids or names
PARAMS = {
    "q": "f_text",
    "status": "f_status",
    "source": "f_source",
    "stage": "f_stage",
    "touchpoint": "f_touchpoint",
    "component": "f_component",
    "team": "f_team",
    "since": "f_since",
    "until": "f_until",
}


def _from_query(journey: Journey) -> None:
    """Seed the filter widgets from the URL the first time the page is drawn."""
    qp = st.query_params
    if "f_text" in st.session_state:
        return

    def listed(name: str) -> list[str]:
        return [v.strip() for v in qp.get(name, "").split(",") if v.strip()]

    def ids(name: str, known: set[int]) -> list[int]:
        return [int(v) for v in listed(name) if v.isdigit() and int(v) in known]

    st.session_state.f_text = qp.get("q", "")
    st.session_state.f_status = [Status(v) for v in listed("status") if known(Status, v)]
    st.session_state.f_source = [Source(v) for v in listed("source") if known(Source, v)]
    st.session_state.f_component = [Component(v) for v in listed("component") if known(Component, v)]
    st.session_state.f_stage = ids("stage", {sid for sid, _ in journey.stages})
    st.session_state.f_touchpoint = ids("touchpoint", {tp.id for tp in journey.touchpoints})
    teams = ids("team", {tid for tid, _ in journey.teams})
    st.session_state.f_team = ([NO_OWNER] if "none" in listed("team") else []) + teams
    st.session_state.f_dates = tuple(d for d in (_date(qp.get("since")), _date(qp.get("until"))) if d)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _picked(value: object) -> tuple[date, ...]:
    """The range picker's dates as a tuple, whatever shape a browser or an older session hands back."""
    if isinstance(value, date):
        return (value,)
    return tuple(d for d in value if isinstance(d, date)) if isinstance(value, list | tuple) else ()


def filter_bar(journey: Journey) -> SignalFilter:
    _from_query(journey)
    search, dates, statuses, sources = st.columns([3, 2, 2, 2])
    search.text_input("Search", key="f_text", placeholder="Title, details, account, ticket link or #id")
    dates.date_input(
        "Logged between",
        key="f_dates",
        value=(),  # a range picker: a tuple of no, one (first click) or two dates, never a bare date
        max_value=clock.today() + timedelta(days=1),
        format="YYYY-MM-DD",
    )
    statuses.multiselect(
        "Status", list(Status), key="f_status", format_func=lambda s: s.label, placeholder="Any"
    )
    sources.multiselect(
        "Source", list(Source), key="f_source", format_func=lambda s: s.label, placeholder="Any"
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
        touchpoints=journey.touchpoints,
    )
    _to_query(signal_filter)
    return signal_filter


def _to_query(f: SignalFilter) -> None:
    """Mirror the filters into the URL (keeping other parameters such as ?signal=)."""
    wanted = {
        "q": f.text.strip(),
        "status": ",".join(f.statuses),
        "source": ",".join(f.sources),
        "component": ",".join(f.components),
        "stage": ",".join(map(str, f.stage_ids)),
        "touchpoint": ",".join(map(str, f.touchpoint_ids)),
        "team": ",".join((["none"] if f.unowned else []) + [str(t) for t in f.team_ids]),
        "since": f.since.isoformat() if f.since else "",
        "until": f.until.isoformat() if f.until else "",
    }
    for name, value in wanted.items():
        if value and st.query_params.get(name) != value:
            st.query_params[name] = value
        elif not value and name in st.query_params:
            del st.query_params[name]
