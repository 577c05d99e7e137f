"""Friction log: every signal, filtered and paged; `?signal=ID` opens one with its timeline."""

import math

import streamlit as st

from components.common import pages
from components.common.data import load_log_page
from components.common.page import setup_page
from components.common.url_params import set_url_params, url_id
from components.signals.detail import signal_detail
from components.signals.log_filters import filter_bar
from components.signals.table import show_signals, signals_frame
from cxos.vocabulary import plural

PAGE_SIZE = 50

ctx = setup_page(pages.FRICTION_LOG)

signal_id = url_id("signal", "Signal")
if signal_id is not None:
    if st.button("← Back to the log", type="tertiary"):
        set_url_params(signal=None)
        st.rerun()
    signal_detail(ctx, signal_id)
    st.stop()

st.title("Friction log")
signal_filter = filter_bar(ctx.journey)

# Back to the first page whenever the filters change.
if st.session_state.get("log_filter") != signal_filter:
    st.session_state.log_filter = signal_filter
    st.session_state.log_page = 0
page = st.session_state.get("log_page", 0)
result = load_log_page(signal_filter, page, PAGE_SIZE)
rows = result.rows
page_count = max(1, math.ceil(result.total / PAGE_SIZE))
last_page = page + 1 >= page_count and not result.more

summary, previous, position, following = st.columns([6, 1, 1, 1], vertical_alignment="center")
count = f"{result.total:,}+ signals" if result.more else plural(result.total, "signal")
summary.markdown(
    f"**{count}** {'matches' if result.total == 1 and not result.more else 'match'} · newest first · "
    "click a row to open it"
)
if previous.button("← Newer", disabled=page == 0, width="stretch"):
    st.session_state.log_page = page - 1
    st.rerun()
position.markdown(f"page **{page + 1:,}** of {page_count:,}{'+' if result.more else ''}")
if following.button("Older →", disabled=last_page or len(rows) < PAGE_SIZE, width="stretch"):
    st.session_state.log_page = page + 1
    st.rerun()

chosen = show_signals(
    signals_frame(rows, ctx.journey),
    key=f"log_table_{page}",
    height=min(38 + 35 * len(rows), 1800),
    download=f"friction-log-page-{page + 1}.csv",
)
if chosen is not None:
    set_url_params(signal=str(chosen))
    st.rerun()
if not rows:
    st.info("No signal matches these filters.")
