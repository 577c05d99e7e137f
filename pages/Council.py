"""Experience Council: the weekly walkthrough on one shared screen (`?step=N`, `?present=1` for the room)."""

import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.common.url_params import url_flag
from components.common.writes import show_flashes
from components.council.data import REFRESH_S, load_council_state, load_pulse, refresh_tick
from components.council.fixes_step import fixes_step, loop_step
from components.council.history import history
from components.council.minutes_step import minutes_step, session_bar
from components.council.modes_step import modes_step
from components.council.nav import current_step, step_header, total_minutes
from components.council.pulse_step import pulse_line, pulse_step
from components.council.triage_step import triage_step

ctx = setup_page(pages.COUNCIL, presentation=(presenting := url_flag("present", "Presentation mode")))
step = current_step()

title, mode = st.columns([4, 2], vertical_alignment="center")
title.title("Experience Council")
show_flashes()
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
    history(ctx)
    st.stop()

step_header(step)


@st.fragment(run_every=REFRESH_S if presenting else None)
def walkthrough() -> None:
    """The step's body; on the shared screen it re-reads every few seconds to show what attendees changed."""
    now, tick = glance_now(), refresh_tick(presenting)
    state = load_council_state(now, tick)
    session_bar(ctx, state)
    if step == 1:
        pulse_step(ctx, state, now, tick)
    elif step == 2:
        triage_step(ctx, state, tick, presenting=presenting)
    elif step == 3:
        modes_step(ctx, state, now, tick)
    elif step == 4:
        fixes_step(ctx, now, tick)
    elif step == 5:
        loop_step(ctx, state, tick)
    else:
        minutes_step(ctx, state, now, pulse_line(load_pulse(state.since, now, tick)), tick)


walkthrough()
