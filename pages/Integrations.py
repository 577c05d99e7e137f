"""Integrations: the tokens the intake API accepts, and the inbox of what arrived and what did not map."""

import streamlit as st

from components.common import pages
from components.common.page import setup_page
from components.integrations.panels import inbox_card, tokens_card

ctx = setup_page(pages.INTEGRATIONS)

st.title("Integrations")
st.caption(
    "Signals that arrive by themselves: `POST /api/v1/signals` on this app's own address "
    "(described at `/api/v1/openapi.json`), each integration with a token of its own."
)
tokens_card(ctx.actor)
inbox_card(ctx.actor)
