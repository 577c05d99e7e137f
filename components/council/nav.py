"""The walkthrough's frame: the room's step (shared in the database), Next/Back, the time box, and writes with
the meeting's manners."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from components.common.data import refresh_after_write
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import forget_seen
from components.common.url_params import set_url_params, url_int
from components.common.writes import SeenRow, flash, redraw, run_write
from components.council.data import Here, load_room
from cxos.clock import utcnow
from cxos.council.room import Room, move_to_step, present
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
CLOCK_TICK_S = 5  # a laptop's time box
FOLLOW_S = 2  # the shared screen looks this often whether the room moved or anything changed


def current_step(here: Here, *, presenting: bool) -> int:
    """The shared screen shows the room's step; a laptop the step in its URL (`?step=N`), so a link or a reload
    keeps its place. The URL of the shared screen is kept in step with the room."""
    if presenting and here.room is not None:
        set_url_params(step=str(here.room.step))
        return here.room.step
    return url_int("step", "Step", lo=1, hi=len(STEPS), default=1)


def drives_the_room(ctx: PageContext, room: Room | None) -> bool:
    """Whose Next / Back moves the room: the presenter, or any council member while nobody presents."""
    return room is not None and ctx.actor.can("run_council") and room.presenter in ("", ctx.actor.name)


def go_to(ctx: PageContext, step: int) -> None:
    """Next / Back, as the button's callback: the move is made before the page runs, so a step change is one
    run of the page, not a run cut short by a rerun and then a second one. The room is read as it is now."""
    room = load_room().room
    if drives_the_room(ctx, room):
        assert room is not None
        room_write(lambda: move_to_step(ctx.store, session_id=room.session_id, step=step, actor=ctx.actor))
    set_url_params(step=str(step))


def room_write(change: Callable[[], Any]) -> None:
    """A write of the room's pointer (step, presenter, who joined): no figure changes, so no cache is cleared —
    the loaders key on the figures' own change marker — and a refusal is flashed where the step is drawn."""
    try:
        change()
    except CxosError as refusal:
        flash("error", md_escape(refusal))


def step_header(ctx: PageContext, here: Here, step: int, *, presenting: bool) -> None:
    """'Step 2 of 6 · Triage' with the room's question, the time box, and Back / Next (on the shared screen
    only for whoever drives the room: the screen of everyone else follows)."""
    info, clock, back, forward = st.columns([5, 3, 1, 1], vertical_alignment="center")
    info.markdown(f"### Step {step} of {len(STEPS)} · {STEPS[step - 1].title}")
    info.caption(STEPS[step - 1].question)
    with clock:
        time_box(ctx, step, here.room.marker if here.room else (0, 0, here.changed), presenting)
    if presenting and here.room is not None and not drives_the_room(ctx, here.room):
        return
    back.button(
        "← Back",
        disabled=step == 1,
        width="stretch",
        key="council_back",
        on_click=go_to,
        args=(ctx, step - 1),
    )
    forward.button(
        "Next →",
        disabled=step == len(STEPS),
        width="stretch",
        type="primary",
        key="council_next",
        on_click=go_to,
        args=(ctx, step + 1),
    )


def time_box(ctx: PageContext, step: int, drawn: tuple[int, int, int], presenting: bool) -> None:
    """Elapsed against the step's time box, from when the room arrived on the step (kept in the database, so
    a reload or another screen shows the same clock); on a laptop, also where the room is."""
    every = FOLLOW_S if presenting else CLOCK_TICK_S
    st.fragment(run_every=every)(_time_box)(ctx, step, drawn, presenting)


def _time_box(ctx: PageContext, step: int, drawn: tuple[int, int, int], presenting: bool) -> None:
    here = load_room()
    room = here.room
    if presenting and (room.marker if room else (0, 0, here.changed)) != drawn:
        st.rerun()  # the room moved or someone changed something: the shared screen redraws at once
    budget = STEPS[step - 1].minutes * 60
    if room is None or room.step != step or room.step_started_at is None:
        clock = "starts when the council opens" if room is None else f"the room is on step {room.step}"
        st.progress(0.0, text=f"Time box: 0:00 of {budget // 60}:00 — {clock}")
    else:
        elapsed = max(0, int((utcnow() - room.step_started_at).total_seconds()))
        words = f"{elapsed // 60}:{elapsed % 60:02d} of {budget // 60}:00"
        st.progress(
            min(elapsed / budget, 1.0),
            text=f"Time box: {words} — over time, decide or park it"
            if elapsed > budget
            else f"Time box: {words}",
        )
    if not presenting:
        _where_the_room_is(ctx, room, step)


def _where_the_room_is(ctx: PageContext, room: Room | None, step: int) -> None:
    """On a laptop: who presents, a way to the room's step, and to take over the shared screen."""
    if room is None:
        return
    if room.presenter == ctx.actor.name:
        st.caption("You present: your Next and Back move the shared screen.")
        return
    where = "" if room.step == step else f" · the room is on step {room.step}"
    st.caption(
        f"{md_escape(room.presenter)} presents{where}" if room.presenter else f"Nobody presents yet{where}"
    )
    follow, take = st.columns(2)
    if room.step != step and follow.button(f"Go to step {room.step}", key="council_follow", width="stretch"):
        set_url_params(step=str(room.step))
        st.rerun()
    if ctx.actor.can("run_council") and take.button("Present", key="council_present", width="stretch"):
        room_write(lambda: present(ctx.store, session_id=room.session_id, actor=ctx.actor))
        st.rerun()


def total_minutes() -> int:
    return sum(s.minutes for s in STEPS)


def write(
    change: Callable[[], Any],
    done: str,
    *,
    rows: Sequence[SeenRow] = (),
    rerun: Literal["app", "fragment"] = "fragment",
) -> None:
    """Run one service call with the meeting's manners: the outcome, success or refusal, is flashed at the top
    of the step and the step redrawn (only the step: the page around it shows nothing a write changes; a write
    made in a card's own fragment inside the step says `rerun="app"`, since the step shows what it changed). After a
    refusal the rows are forgotten as seen: the message said who changed them, and the next try acts on the
    version now on screen."""

    def refused(refusal: CxosError) -> None:
        for kind, row_id in rows:
            forget_seen(kind, None if row_id is None else [row_id])
        flash("error", md_escape(refusal))
        refresh_after_write()
        redraw(rerun)

    run_write(change, done=done, show="flash", rows=rows, on_refusal=refused, rerun=rerun)
