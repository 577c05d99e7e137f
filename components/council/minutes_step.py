"""Council step 6 and the session bar: who attends, decisions and actions with owners and dates, the minutes, closing."""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.writes import run_write
from components.council.data import CouncilState, Here, load_minutes, load_room
from components.council.nav import current_step, room_write, write
from cxos.council.closing import close_council
from cxos.council.minutes import render_minutes
from cxos.council.room import join
from cxos.council.sessions import add_action, add_decision, set_attendees, start_session
from cxos.vocabulary import plural

NAMES_KEY = "council_attendees_names"
NAMES_SEEN_KEY = "council_attendees_seen"
MINUTES_HEIGHT_PX = 480


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.replace("\n", ",").split(",") if name.strip()]


def join_the_room(ctx: PageContext, here: Here) -> Here:
    """Whoever opens the council on their own screen while it is open is recorded as an attendee, once."""
    room = here.room
    if room is None or ctx.actor.name.lower() in (name.lower() for name in room.attendees):
        return here
    joined_key = f"council_joined_{room.session_id}"
    if not st.session_state.get(joined_key):
        st.session_state[joined_key] = True  # one try per browser session: a refusal is not retried each run
        room_write(lambda: join(ctx.store, session_id=room.session_id, actor=ctx.actor))
        return load_room()
    return here


def session_bar(ctx: PageContext, state: CouncilState) -> None:
    """Which council this is and who is in it; start one when none is open."""
    if state.current is not None:
        names = state.current.attendees
        who = (
            f"{plural(len(names), 'attendee')}: {', '.join(names)}" if names else "attendees not recorded yet"
        )
        st.caption(f"Council of {state.current.held_on:%a %d %b %Y} · open · {md_escape(who)}")
        return
    if not ctx.actor.can("run_council"):
        st.caption("No council is open. A council member starts one.")
        return
    text, start = st.columns([5, 1], vertical_alignment="bottom")
    names = text.text_input(
        "Attendees (comma-separated)", key="council_start_attendees", value=ctx.actor.name
    )
    if start.button("Start this week's council", type="primary", width="stretch", key="council_start"):
        step = current_step(load_room(), presenting=False)
        run_write(  # the whole page redraws: its time box and presenter line start with the session
            lambda: start_session(ctx.store, actor=ctx.actor, attendees=_names(names), step=step),
            done="The council is open.",
            show="flash",
        )


def minutes_step(ctx: PageContext, state: CouncilState, now: datetime, pulse_line: str, changed: int) -> None:
    current = state.current
    if current is None:
        st.info("Start this week's council (above) to record decisions and minutes.")
        return
    record = load_minutes(current.id, pulse_line, changed)
    markdown, actions = render_minutes(record), record.actions
    left, right = st.columns([1, 1], gap="large")
    can_run = ctx.actor.can("run_council")
    with left:
        _attendees_form(ctx, current.id, list(current.attendees), disabled=not can_run)
        _decision_form(ctx, current.id, now, disabled=not can_run)
        st.dataframe(
            pd.DataFrame(
                [{"Decision": d.text, "Owner": d.owner, "Due": d.due} for d in current.decisions]
                + [{"Decision": f"Action: {a.text}", "Owner": a.owner, "Due": a.due_on} for a in actions],
                columns=["Decision", "Owner", "Due"],
            ),
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * max(1, len(current.decisions) + len(actions)), 240),
            column_config={
                "Decision": st.column_config.TextColumn(width=420),
                "Due": st.column_config.DateColumn(format="D MMM YYYY"),
            },
        )
    with right:
        with st.container(height=MINUTES_HEIGHT_PX, border=True):  # formatted; people's words as typed
            st.markdown(render_minutes(record, top_heading=4))
        download, close = st.columns(2)
        download.download_button(
            "Download Markdown",
            markdown,
            file_name=f"council-{current.held_on}.md",
            mime="text/markdown",
            width="stretch",
            key="council_download",
        )
        if close.button(
            "Save minutes and close",
            type="primary",
            disabled=not can_run,
            width="stretch",
            key="council_close",
        ):
            run_write(  # the whole page redraws: the room it followed is closed
                lambda: close_council(
                    ctx.store, session_id=current.id, pulse_line=pulse_line, actor=ctx.actor
                ),
                done="Minutes saved and the council closed. Next week's pulse starts from now.",
                show="flash",
            )


def _attendees_form(ctx: PageContext, session_id: int, attendees: list[str], *, disabled: bool) -> None:
    """The list as the box first showed it is what the person edits: saving applies their additions and
    removals to the list as it is now, so nobody who joined meanwhile is dropped."""
    seen = st.session_state.setdefault(NAMES_SEEN_KEY, attendees)
    with st.form("council_attendees", border=True):
        names = st.text_input("Attendees (comma-separated)", ", ".join(seen), key=NAMES_KEY)
        if st.form_submit_button("Save attendees", disabled=disabled):

            def save() -> None:
                set_attendees(
                    ctx.store, session_id=session_id, seen=seen, attendees=_names(names), actor=ctx.actor
                )
                for key in (NAMES_KEY, NAMES_SEEN_KEY):  # the box shows the saved list on the redraw
                    st.session_state.pop(key, None)

            write(save, "Attendees saved.")


def _decision_form(ctx: PageContext, session_id: int, now: datetime, *, disabled: bool) -> None:
    teams = [None, *(t for t, _ in ctx.journey.teams)]
    with st.form("council_decision", border=True, clear_on_submit=True):
        text = st.text_input("Decision or action", max_chars=500, key="council_decision_text")
        owner_column, team_column, due_column = st.columns([2, 2, 1.5])  # the date whole, in the room too
        owner = owner_column.text_input(
            "Owner (a person or team)", max_chars=120, key="council_decision_owner"
        )
        team = team_column.selectbox(
            "Owner's team (optional)",
            teams,
            key="council_decision_team",
            format_func=lambda t: ctx.journey.team_name(t) or "—",
        )
        due = due_column.date_input("Due", now.date() + timedelta(days=7), key="council_decision_due")
        as_action = st.toggle(
            "Track it as an action (open until done or dropped)", value=True, key="council_decision_action"
        )
        if st.form_submit_button("Record", type="primary", disabled=disabled):
            who = owner.strip() or (ctx.journey.team_name(team) or "")
            if as_action:
                write(
                    lambda: add_action(
                        ctx.store,
                        session_id=session_id,
                        text=text,
                        owner=who,
                        due_on=due,
                        owner_team_id=team,
                        actor=ctx.actor,
                    ),
                    "Action recorded.",
                )
            else:
                write(
                    lambda: add_decision(
                        ctx.store, session_id=session_id, text=text, owner=who, due_on=due, actor=ctx.actor
                    ),
                    "Decision recorded.",
                )
