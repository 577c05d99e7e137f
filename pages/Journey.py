"""Journey: the map of stages and touchpoints with live friction; admins reshape it without losing a signal."""

from datetime import timedelta

import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.common.url_params import set_url_params, url_choice
from components.journey.editor_panel import journey_editor
from components.journey.friction_data import load_cells, load_top_failure_modes
from components.journey.map import journey_map

WINDOWS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 182: "Last 26 weeks"}

ctx = setup_page(pages.JOURNEY)

st.title("Customer journey")
days = url_choice("days", "Window", {str(d): d for d in WINDOWS}, default=30)
views = ["Map", "Edit the journey"] if ctx.actor.can("manage_journey") else ["Map"]
view = st.segmented_control("View", views, default="Map", label_visibility="collapsed") or "Map"

if view == "Map":
    picked = st.segmented_control(
        "Window", list(WINDOWS), format_func=WINDOWS.get, default=days, label_visibility="collapsed"
    )
    if picked and picked != days:
        set_url_params(days=str(picked))
        days = picked
    now = glance_now()
    st.caption(
        f"Friction per touchpoint in the {WINDOWS[days].lower()}, against the {days} days before. "
        "Red is the hottest touchpoints, orange warm. Each card opens its signals."
    )
    journey_map(
        ctx.journey,
        load_cells(now, days, False),
        load_cells(now, days, False, previous=True),
        load_top_failure_modes(now, days),
        days=days,
        since=(now - timedelta(days=days)).date(),
    )
else:
    journey_editor(ctx)
