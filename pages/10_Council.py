"""Experience Council: the weekly walkthrough on one shared screen (`?step=N`, `?present=1` for the room)."""

import streamlit as st

from components.page import setup_page

ctx = setup_page("Experience Council", ":material/groups:", presentation=st.query_params.get("present") == "1")
st.title("Experience Council")
