"""OS fit score: how well each of the six components works, from the data, with what would raise the weakest."""

import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.journey.friction_charts import fit_radar
from components.journey.friction_data import load_fit_scores, load_self_assessment
from components.kpis.fit_panels import component_details, self_assessment, subscore_table, weakest_component

ctx = setup_page(pages.FIT_SCORE)

st.title("OS fit score")
st.caption(
    "Each component scores 0–100: the mean of its sub-scores that have data (ownership, flow, closure, "
    "recurrence trend, loop closure). A sub-score without data says so instead of guessing."
)
fits = load_fit_scores(glance_now())

radar, table = st.columns([2, 3], gap="large")
with radar.container(border=True):
    st.plotly_chart(
        fit_radar({fit.component.label: fit.score for fit in fits}),
        width="stretch",
        config={"displayModeBar": False},
    )
with table:
    st.dataframe(subscore_table(fits), hide_index=True, width="stretch")
    weakest_component(fits)
component_details(fits)

with st.container(border=True):
    st.markdown("#### Self-assessment")
    st.caption(
        "The method's questions for each component, rated 1–5. Kept beside the data score, not mixed in."
    )
    self_assessment(ctx.actor, load_self_assessment())
