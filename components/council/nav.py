"""The council walkthrough's frame: steps kept in the URL, Next/Back, the time box, writes with the meeting's manners."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components.common.data import refresh_after_write
from components.common.safe import md_escape
from components.common.seen import forget_seen
from components.common.url_params import set_url_params, url_int
from components.common.writes import SeenRow, flash, run_write
from cxos.errors import CxosError


@dataclass(frozen=True)
class Step:
    title: str
    minutes: int
    question: str


STEPS = [
    Step("Pulse", 5, "What came in since the last council, and where did it land?"),
    Step("Triage", 10, "Who owns each signal nobody has confirmed yet?"),
    Step("Recurring failure modes", 14, "Why are customers asking this at all?"),
    Step("Fixes in flight", 7, "Is every fix moving, and who needs help?"),
    Step("Close the loop", 4, "Which customers do we tell what changed?"),
    Step("Decisions and minutes", 3, "What did we decide, who owns it, by when?"),
]
CLOCK_TICK_S = 5


def current_step() -> int:
    """The step in the URL (`?step=N`, 1-based), so a link or a reload keeps its place."""
    return url_int("step", "Step", lo=1, hi=len(STEPS), default=1)


def go_to(step: int) -> None:
    set_url_params(step=str(step))
    st.rerun()


def step_header(step: int) -> None:
    """'Step 2 of 6 · Triage' with the room's question, and Back / Next."""
    info, clock, back, forward = st.columns([5, 3, 1, 1], vertical_alignment="center")
    info.markdown(f"### Step {step} of {len(STEPS)} · {STEPS[step - 1].title}")
    info.caption(STEPS[step - 1].question)
    with clock:
        time_box(step)
    if back.button("← Back", disabled=step == 1, width="stretch", key="council_back"):
        go_to(step - 1)
    if forward.button(
        "Next →", disabled=step == len(STEPS), width="stretch", type="primary", key="council_next"
    ):
        go_to(step + 1)


@st.fragment(run_every=CLOCK_TICK_S)
def time_box(step: int) -> None:
    """Elapsed against the step's time box; the clock starts when the room arrives on the step."""
    started = st.session_state.setdefault(f"council_step_started_{step}", time.time())
    elapsed = int(time.time() - started)
    budget = STEPS[step - 1].minutes * 60
    over = elapsed > budget
    words = f"{elapsed // 60}:{elapsed % 60:02d} of {budget // 60}:00"
    st.progress(
        min(elapsed / budget, 1.0),
        text=f"Time box: {words} — over time, decide or park it" if over else f"Time box: {words}",
    )


def total_minutes() -> int:
    return sum(s.minutes for s in STEPS)


def write(change: Callable[[], Any], done: str, *, rows: Sequence[SeenRow] = ()) -> None:
    """Run one service call with the meeting's manners: the outcome, success or refusal, is flashed at the top
    of the step and the room redrawn. After a refusal the rows are forgotten as seen: the message said who
    changed them, and the next try acts on the version now on screen."""

    def refused(refusal: CxosError) -> None:
        for kind, row_id in rows:
            forget_seen(kind, None if row_id is None else [row_id])
        flash("error", md_escape(refusal))
        refresh_after_write()
        st.rerun()

    run_write(change, done=done, show="flash", rows=rows, on_refusal=refused)
