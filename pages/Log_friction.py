"""Log friction: anyone logs a friction point in seconds; `?source=slack&touchpoint=…` prefills the form."""

import streamlit as st

from components.common import pages
from components.common.page import setup_page
from components.signals.form import prefill_from_url, quick_entry_form

ctx = setup_page(pages.LOG_FRICTION)

st.title("Log a friction point")
st.caption("Three answers and it's in the shared log; the council routes it upstream from there.")
if not ctx.actor.can("log_signal"):
    st.warning(
        f"Your role ({ctx.actor.role.value}) can read the log but not add to it. Ask an admin for the "
        "contributor role."
    )
quick_entry_form(ctx.journey, ctx.actor, prefill_from_url(ctx.journey))
