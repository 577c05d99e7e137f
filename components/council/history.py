"""Council history: past sessions with their decisions and minutes, and what became of every action since."""

import pandas as pd
import streamlit as st

from components.common.page import PageContext
from components.common.seen import seen_version
from components.council.data import load_history
from components.council.nav import write
from cxos.council.sessions import set_action_status
from cxos.vocabulary import plural

ENTITY = "council_action"


def history(ctx: PageContext) -> None:
    sessions, actions, changed = load_history()
    held = {s.id: s.held_on for s in sessions}
    st.markdown("#### What happened to each action")
    frame = pd.DataFrame(
        [
            {
                "#": a.id,
                "Council": held.get(a.session_id),
                "Action": a.text,
                "Owner": a.owner,
                "Due": a.due_on,
                "Status": a.status.capitalize(),
                "Changed by": changed.get(a.id, (a.created_by, a.created_at))[0],
                "When": changed.get(a.id, (a.created_by, a.created_at))[1],
            }
            for a in actions
        ],
        columns=["#", "Council", "Action", "Owner", "Due", "Status", "Changed by", "When"],
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Action": st.column_config.TextColumn(width=420),
            "Council": st.column_config.DateColumn(format="D MMM YYYY"),
            "Due": st.column_config.DateColumn(format="D MMM YYYY"),
            "When": st.column_config.DatetimeColumn(format="D MMM, HH:mm"),
        },
    )
    still_open = [a for a in actions if a.status == "open"]
    if still_open and ctx.actor.can("run_council"):
        with st.form("council_action_status", border=True):
            pick, status, save = st.columns([5, 2, 1], vertical_alignment="bottom")
            action_id = pick.selectbox(
                "Open action",
                [a.id for a in still_open],
                key="council_action_pick",
                format_func=lambda i: next(f"#{a.id} {a.text} ({a.owner})" for a in still_open if a.id == i),
            )
            new_status = status.selectbox(
                "Now", ["done", "dropped"], key="council_action_status_new", format_func=str.capitalize
            )
            if save.form_submit_button("Save", type="primary", width="stretch"):
                action = next(a for a in still_open if a.id == action_id)
                seen = seen_version(ENTITY, action.id, action.version)
                write(
                    lambda: set_action_status(
                        ctx.store,
                        action_id=action.id,
                        expected_version=seen,
                        status=new_status,
                        actor=ctx.actor,
                    ),
                    f"Action #{action.id} marked {new_status}.",
                    rows=[(ENTITY, action.id)],
                )
    for action in still_open:
        seen_version(ENTITY, action.id, action.version)
    st.markdown("#### Past sessions")
    if not sessions:
        st.info("No council has been closed yet.")
    for past in sessions:
        with st.expander(
            f"{past.held_on:%a %d %b %Y} · {plural(len(past.decisions), 'decision')} · "
            f"{plural(len(past.attendees), 'attendee')}"
        ):
            st.code(past.minutes or "(no minutes saved)", language="markdown", wrap_lines=True)
