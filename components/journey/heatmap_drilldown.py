"""What a heatmap cell stands for: the signal filter behind it, shown as a table and linked into the log."""

from datetime import date, datetime, timedelta

import streamlit as st

from components.common import pages
from components.common.data import Journey, load_log_page
from components.common.safe import md_escape
from components.signals.table import show_signals, signals_frame
from cxos.journey.friction import window_ending
from cxos.signals.queries import SignalFilter
from cxos.vocabulary import COMPONENT_LABELS, plural

COMPONENT_BY_LABEL = {label: component.value for component, label in COMPONENT_LABELS.items()}


def cell_filter(
    view: str, x: str, y: str, journey: Journey, *, now: datetime, days: int, team_ids: tuple[int, ...]
) -> SignalFilter:
    """The friction log filter of one cell: its stage/component/touchpoint, its week or the window, the teams.

    The window is the heatmap's own (`window_ending`), so the cell's number and the drill-down's count agree.
    """
    window = window_ending(now, days, whole_weeks=view != "stage_component")
    since, until = window.first_day, window.last_day
    stage_ids: tuple[int, ...] = ()
    touchpoint_ids: tuple[int, ...] = ()
    components: tuple[str, ...] = ()
    if view == "stage_component":
        stage_ids = tuple(sid for sid, name in journey.stages if name == x)
        components = (COMPONENT_BY_LABEL.get(y, y),)
    else:
        week = date.fromisoformat(x)
        since, until = max(since, week), min(until, week + timedelta(days=6))
        if view == "stage_week":
            stage_ids = tuple(sid for sid, name in journey.stages if name == y)
        else:
            touchpoint_ids = tuple(tp.id for tp in journey.touchpoints if tp.label == y)
    return SignalFilter(
        stage_ids=stage_ids,
        touchpoint_ids=touchpoint_ids,
        components=components,
        team_ids=team_ids,
        since=since,
        until=until,
        touchpoints=journey.touchpoints,
    )


def log_link_params(f: SignalFilter) -> dict[str, str]:
    params = {
        "stage": ",".join(map(str, f.stage_ids)),
        "touchpoint": ",".join(map(str, f.touchpoint_ids)),
        "component": ",".join(f.components),
        "team": ",".join(map(str, f.team_ids)),
        "since": f.since.isoformat() if f.since else "",
        "until": f.until.isoformat() if f.until else "",
    }
    return {k: v for k, v in params.items() if v}


def drilldown(title: str, signal_filter: SignalFilter, journey: Journey) -> None:
    page = load_log_page(signal_filter, 0, 20)
    count = f"{page.total:,}+ signals" if page.more else plural(page.total, "signal")
    with st.container(border=True):
        st.markdown(f"#### {md_escape(title)} · {count}")
        st.caption(
            f"Logged {signal_filter.since:%d %b} – {signal_filter.until:%d %b %Y}. The newest 20; "
            "the log has them all."
        )
        picked = show_signals(
            signals_frame(page.rows, journey),
            key="heatmap_drilldown",
            columns=["#", "Logged", "What happened", "Where", "Status", "Owner", "Account", "ARR"],
        )
        st.page_link(
            pages.FRICTION_LOG.path,
            label="Open these signals in the friction log",
            icon=":material/arrow_forward:",
            query_params=log_link_params(signal_filter),
        )
    if picked is not None:
        st.switch_page(pages.FRICTION_LOG.path, query_params={"signal": str(picked)})
