"""The fix lifecycle panels: fixes in flight (advance, record an update) and planning a fix."""

from datetime import date

import pandas as pd
import streamlit as st

from components.common.page import PageContext
from components.common.seen import seen_version
from components.common.writes import run_write
from components.fixes.data import FixesView
from cxos.fixes.lifecycle import (
    FIX_STATUS_LABELS,
    FIX_STATUSES,
    STALE_AFTER,
    advance_fix,
    plan_fix,
    record_fix_update,
)


def in_flight_panel(ctx: PageContext, view: FixesView) -> None:
    rows = view.in_flight
    if not rows:
        st.info("No fix is planned or in progress. Plan one for a failure mode below.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Fix": f"#{r.fix_id}",
                    "Title": r.title,
                    "Failure mode": r.failure_mode,
                    "Status": FIX_STATUS_LABELS[r.status],
                    "Owner": r.owner_team or "—",
                    "Due": r.due_on,
                    "Overdue": "overdue" if r.overdue else "",
                    "Days since update": r.days_since_update,
                    "Stale": "stale" if r.stale else "",
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        f"Overdue: past its due date. Stale: no update for {STALE_AFTER.days} days — ask the owner for one."
    )
    if not ctx.actor.can("manage_fixes"):
        return
    by_id = {r.fix_id: r for r in rows}
    chosen = st.selectbox(
        "Fix", list(by_id), format_func=lambda i: f"#{i} {by_id[i].title}", key="fixes_flight_pick"
    )
    if chosen is None:
        return
    fix = by_id[chosen]
    # The version shown when this fix was first drawn here, not the one fetched at the click.
    seen = seen_version("fix", fix.fix_id, fix.version)
    move, note = st.columns(2, gap="large")
    with move.form("fixes_advance"):
        later = list(FIX_STATUSES[FIX_STATUSES.index(fix.status) + 1 : -1])
        target = st.radio("Move to", later, format_func=FIX_STATUS_LABELS.get, horizontal=True)
        what = st.text_area(
            "What changed (customer-facing, required to ship)",
            max_chars=2000,
            placeholder="e.g. CSV import now detects the date format and lists every rejected row.",
        )
        if st.form_submit_button("Move the fix", type="primary"):
            run_write(
                lambda: advance_fix(
                    ctx.store,
                    fix_id=fix.fix_id,
                    expected_version=seen,
                    status=target,
                    actor=ctx.actor,
                    what_changed=what or None,
                ),
                done="Fix moved.",
                rows=[("fix", fix.fix_id)],
            )
    with note.form("fixes_update"):
        text = st.text_area(
            "Owner's update", max_chars=2000, placeholder="What happened since the last update?"
        )
        if st.form_submit_button("Record the update"):
            run_write(
                lambda: record_fix_update(
                    ctx.store, fix_id=fix.fix_id, expected_version=seen, note=text, actor=ctx.actor
                ),
                done="Update recorded.",
                rows=[("fix", fix.fix_id)],
            )


def plan_panel(ctx: PageContext, view: FixesView) -> None:
    if not ctx.actor.can("manage_fixes"):
        st.caption("Planning fixes needs the council role.")
        return
    if not view.modes:
        st.info("No accepted failure mode yet: accept one on the Failure modes page first.")
        return
    modes = dict(view.modes)
    with st.form("fixes_plan", clear_on_submit=True):
        mode_id = st.selectbox("Failure mode", list(modes), format_func=modes.get)
        title = st.text_input(
            "Fix title", max_chars=200, placeholder="e.g. Detect the date format in CSV import"
        )
        team_col, due_col = st.columns(2)
        teams = dict(ctx.journey.teams)
        team_id = team_col.selectbox(
            "Owner team", [None, *teams], format_func=lambda t: teams.get(t, "— none yet —")
        )
        due = due_col.date_input("Due", value=None, min_value=date(2020, 1, 1))
        if st.form_submit_button("Plan the fix", type="primary"):
            run_write(
                lambda: plan_fix(
                    ctx.store,
                    failure_mode_id=mode_id,
                    title=title,
                    owner_team_id=team_id,
                    due_on=due,
                    actor=ctx.actor,
                ),
                done="Fix planned.",
            )
