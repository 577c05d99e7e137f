"""Home: this week at a glance — what came in, where it landed, what waits for an owner."""

import streamlit as st

from components.common import charts, pages
from components.common.data import glance_now, load_glance, load_newest, load_triage_queue
from components.common.page import setup_page
from components.routing.data import ACCURACY_WEEKS, accuracy_since, load_routing_accuracy
from components.signals.table import show_signals, signals_frame
from cxos.vocabulary import Source, label

QUEUE_ROWS = 8

ctx = setup_page(pages.HOME)
glance = load_glance(glance_now())

st.title("This week at a glance")
st.caption(f"The last 7 days to {glance.now:%d %b %Y %H:%M} UTC, against the 7 days before.")

new, triage, open_, fixed, accuracy = st.columns(5)
new.metric(
    "New signals",
    f"{glance.new_this_week:,}",
    delta=glance.new_this_week - glance.new_last_week,
    delta_color="inverse",
    border=True,
    height="stretch",
    help="Signals logged in the last 7 days; the change is against the 7 days before.",
)
triage.metric(
    "In triage",
    f"{glance.in_triage:,}",
    border=True,
    height="stretch",
    help="Open signals with no owner yet (new or needs info). Nothing leaves this queue unowned.",
)
open_.metric(
    "Open signals",
    f"{glance.open_signals:,}",
    border=True,
    height="stretch",
    help="Every signal not yet loop-closed, merged as a duplicate, or closed as won't fix.",
)
fixed.metric(
    "Fixed this week",
    f"{glance.fixed_this_week:,}",
    border=True,
    height="stretch",
    help="Signals moved to fixed in the last 7 days.",
)
routing = load_routing_accuracy(accuracy_since()).overall
accuracy.metric(
    "Routing accuracy",
    "—" if routing.accuracy is None else f"{routing.accuracy:.0%}",
    border=True,
    height="stretch",
    help=f"Share of signals first routed in the last {ACCURACY_WEEKS} weeks (by a rule, "
    "the owner model or by hand) whose first owner the council never changed. Per rule and per week: "
    "Routing rules.",
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
