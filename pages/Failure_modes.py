"""Failure modes: recurring failures ranked by recurrence × ARR, each with its owner and upstream cause; candidates from clustering."""

import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.common.url_params import set_url_params, url_id
from components.failure_modes.candidates import candidates_card
from components.failure_modes.data import load_failure_modes
from components.failure_modes.detail import failure_mode_detail
from components.failure_modes.table import ranking_frame, show_ranking
from cxos.vocabulary import plural

ctx = setup_page(pages.FAILURE_MODES)
now = glance_now()

mode_id = url_id("failure_mode", "Failure mode")
if mode_id is not None:
    if st.button("← Back to all failure modes", type="tertiary"):
        set_url_params(failure_mode=None)
        st.rerun()
    failure_mode_detail(ctx, mode_id, now)
    st.stop()

st.title("Failure modes")
st.caption(
    "Recurring failures, each with one upstream cause and one owner. Ranked by recurrence (signals in the "
    "last 12 weeks) × ARR affected. Click a row to open one."
)
modes = load_failure_modes(now)
accepted = [m for m in modes if m.status == "accepted"]
unmapped = [m for m in accepted if not (m.owner_team_id and m.root_cause and m.upstream_cause.strip())]

count, signals, missing, candidates = st.columns(4)
count.metric("Accepted failure modes", f"{len(accepted):,}", border=True)
signals.metric("Signals in them", f"{sum(m.signals for m in accepted):,}", border=True)
missing.metric(
    "Missing owner, layer or cause",
    f"{len(unmapped):,}",
    border=True,
    help="Accepted failure modes not yet mapped to an owner, a root-cause layer and an upstream cause.",
)
candidates.metric(
    "Stored candidates",
    f"{len(modes) - len(accepted):,}",
    border=True,
    help="Failure modes created as candidates and not accepted yet.",
)

with st.container(border=True):
    st.markdown(f"#### Ranked · {plural(len(modes), 'failure mode')}")
    if modes:
        chosen = show_ranking(ranking_frame(modes, ctx.journey), key="fm_ranking")
        if chosen is not None:
            set_url_params(failure_mode=str(chosen))
            st.rerun()
    else:
        st.info("No failure mode yet. Find candidates below and accept the ones that recur.")

candidates_card(ctx, now)
