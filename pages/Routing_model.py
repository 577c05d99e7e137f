"""Routing model: what the owner model learned, the triage queue with its suggestions, and the backtest."""

import streamlit as st

from components.common import pages
from components.common.page import setup_page
from components.routing.backtest_panel import backtest_panel
from components.routing.suggestion_panels import current_status, model_status_panel, triage_queue_panel
from cxos.routing.owner_model import confidence_threshold

ctx = setup_page(pages.ROUTING_MODEL)

st.title("Routing model")
st.caption(
    "When no rule catches a signal, a text model trained on the owners the council confirmed suggests one. "
    "Confident enough, it routes; otherwise the signal waits in triage with three suggestions."
)
threshold = confidence_threshold()
status = current_status()
model_status_panel(status, threshold, ctx.actor)

queue_tab, backtest_tab = st.tabs(["Triage with suggestions", "Backtest"])
with queue_tab:
    triage_queue_panel(status, threshold, ctx.journey, ctx.actor)
with backtest_tab:
    backtest_panel(ctx.journey, threshold)
