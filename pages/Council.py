"""Experience Council: the weekly walkthrough on one shared screen (`?step=N`, `?present=1` for the room)."""

import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.common.url_params import url_flag
from components.common.writes import show_flashes
from components.council.data import load_council_state, load_pulse, load_room
from components.council.fixes_step import fixes_step, loop_step
from components.council.history import history
from components.council.minutes_step import join_the_room, minutes_step, session_bar
from components.council.modes_step import modes_step
from components.council.nav import current_step, step_header, total_minutes
from components.council.pulse_step import pulse_line, pulse_step
from components.council.triage_step import triage_step

ctx = setup_page(pages.COUNCIL, presentation=(presenting := url_flag("present", "Presentation mode")))
here = load_room()
if not presenting:
    here = join_the_room(ctx, here)
step = current_step(here, presenting=presenting)

title, mode = st.columns([4, 2], vertical_alignment="center")
title.title("Experience Council")
view = (
    "Walkthrough"
    if presenting
    else mode.segmented_control(
        "View",
        ["Walkthrough", "History"],
        default="Walkthrough",
        key="council_view",
        label_visibility="collapsed",
    )
)
if not presenting:
    mode.caption(
        f"Time boxes add up to {total_minutes()} minutes. For the shared screen: "
        f"[presentation mode](?present=1&step={step})."
    )

if view == "History":
    show_flashes()
    history(ctx)
    st.stop()

step_header(ctx, here, step, presenting=presenting)


@st.fragment
def walkthrough() -> None:
    """The step's body: a click in it (a tick, a pick, a write) redraws the step, never the page around it.
    The shared screen redraws the whole page when its time box sees the room move or anything change."""
    show_flashes()
    now, fresh = glance_now(), load_room()
    state, figures = load_council_state(now, fresh.changed), fresh.figures_changed
    session_bar(ctx, state)
    if step == 1:
        pulse_step(ctx, state, now, figures)
    elif step == 2:
        triage_step(ctx, state, figures, presenting=presenting)
    elif step == 3:
        modes_step(ctx, state, now, figures)
    elif step == 4:
        fixes_step(ctx, now, figures)
    elif step == 5:
        loop_step(ctx, state, figures)
    else:
        minutes_step(ctx, state, now, pulse_line(load_pulse(state.since, now, figures)), fresh.changed)


walkthrough()
