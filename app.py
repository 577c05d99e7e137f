"""Home: this week at a glance — what came in, where it landed, what waits for an owner."""

import streamlit as st

from components.common import charts, pages
from components.common.data import figures_day, load_glance, load_newest, load_triage_queue
from components.common.page import setup_page
from components.routing.data import load_routing_accuracy
from components.signals.table import show_signals, signals_frame
from cxos.kpis import headline
from cxos.vocabulary import Source, label

QUEUE_ROWS = 8

ctx = setup_page(pages.HOME)
day = figures_day()
glance = load_glance(day)

st.title("This week at a glance")
st.caption(
    f"The {headline.WEEK.text(day)} (today included, UTC), against the {headline.WEEK.days} days before."
)

tiles = iter(st.columns(6))
routing = load_routing_accuracy(day).overall
for figure, value, delta in (
    (headline.NEW_SIGNALS, f"{glance.new_this_week:,}", glance.new_this_week - glance.new_last_week),
    (headline.IN_TRIAGE, f"{glance.in_triage:,}", None),
    (headline.OPEN_SIGNALS, f"{glance.open_signals:,}", None),
    (headline.SIGNALS_FIXED, f"{glance.signals_fixed:,}", None),
    (headline.FIXES_SHIPPED, f"{glance.fixes_shipped:,}", None),
    (headline.ROUTING_ACCURACY, headline.percent(routing.accuracy), None),
):
    next(tiles).metric(
        figure.label,
        value,
        delta=delta,
        delta_color="inverse",
        border=True,
        height="stretch",
        help=figure.caption(day) + ".",
    )
st.caption(
    f"Routing accuracy: {routing.kept:,} of {routing.routed:,} first routes kept, {headline.ROUTING.text(day)}; "
    "per rule and per week on Routing rules."
)

by_stage, by_source = st.columns(2)
with by_stage.container(border=True):
    st.markdown("#### Where it landed: by journey stage")
    st.altair_chart(
        charts.week_comparison(glance.by_stage, category="stage", order=list(glance.by_stage)),
        width="stretch",
    )
with by_source.container(border=True):
    st.markdown("#### How it came in: by source")
    labelled = {label(Source, s): v for s, v in glance.by_source.items()}
    st.altair_chart(charts.week_comparison(labelled, category="source"), width="stretch")

with st.container(border=True):
    st.markdown("#### New signals per week")
    st.altair_chart(charts.weekly_trend(glance.weekly), width="stretch")

queue, newest = st.columns(2)
with queue.container(border=True):
    st.markdown(f"#### Triage queue · {glance.in_triage:,} waiting for an owner")
    st.caption("Oldest first. Click a row to open it.")
    picked = show_signals(
        signals_frame(load_triage_queue(QUEUE_ROWS), ctx.journey),
        key="home_triage",
        columns=["#", "Logged", "What happened", "Where"],
        compact=True,
    )
    st.page_link(
        pages.FRICTION_LOG.path,
        label="Open the whole triage queue in the log",
        icon=":material/arrow_forward:",
        query_params={"team": "none", "status": "new,needs_info"},
    )
with newest.container(border=True):
    st.markdown("#### Newest signals")
    st.caption("Click a row to open it.")
    picked = (
        show_signals(
            signals_frame(load_newest(QUEUE_ROWS), ctx.journey),
            key="home_newest",
            columns=["#", "What happened", "Where", "Owner"],
            compact=True,
        )
        or picked
    )
    st.page_link(pages.FRICTION_LOG.path, label="Open the friction log", icon=":material/arrow_forward:")

if picked is not None:
    st.switch_page(pages.FRICTION_LOG.path, query_params={"signal": str(picked)})
