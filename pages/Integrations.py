"""Integrations: the intake API's tokens, the inbox of what arrived, and where teams are told about their work."""

import streamlit as st

from components.common import pages
from components.common.page import setup_page
from components.integrations.notices import outbox_card, team_channels_card
from components.integrations.panels import inbox_card, tokens_card

ctx = setup_page(pages.INTEGRATIONS)

st.title("Integrations")
st.caption(
    "Signals that arrive by themselves: `POST /api/v1/signals` on this app's own address "
    "(described at `/api/v1/openapi.json`), each integration with a token of its own."
)
tokens_card(ctx.actor)
inbox_card(ctx.actor)
team_channels_card(ctx.actor)
outbox_card()
