"""Council steps 4 and 5: fixes in flight with their owners' updates, then closing the loop on what shipped."""

from datetime import datetime

import pandas as pd
import streamlit as st

from components.common import pages
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.council.data import CouncilState, LoopView, load_fix_updates, load_in_flight, load_loops
from components.council.nav import write
from cxos.fixes.lifecycle import FIX_STATUS_LABELS, record_fix_update
from cxos.fixes.loops import draft_notices
from cxos.vocabulary import plural

ENTITY = "fix"


def fixes_step(ctx: PageContext, now: datetime, changed: int) -> None:
    rows, black_holes = load_in_flight(now, changed)
    updates = load_fix_updates(tuple(r.fix_id for r in rows), changed)
    overdue, stale = sum(r.overdue for r in rows), sum(r.stale for r in rows)
    st.markdown(
        f"**{len(rows):,} {'fix' if len(rows) == 1 else 'fixes'}** in flight · **{overdue}** overdue · **{stale}** stale "
        "(no update in 14 days)"
    )
    if black_holes:
        names = ", ".join(ctx.journey.team_name(t) or f"team #{t}" for t in black_holes)
        st.warning(f"Black holes — backlog grows and nothing closes: {md_escape(names)}")
    frame = pd.DataFrame(
        [
            {
                "Fix": r.title,
                "Failure mode": r.failure_mode,
                "Owner": r.owner_team or "— none",
                "Status": FIX_STATUS_LABELS.get(r.status, r.status),
                "Due": r.due_on,
                "Flag": " · ".join(flag for flag, on in (("OVERDUE", r.overdue), ("STALE", r.stale)) if on)
                or "on track",
                "Last update": f"{r.days_since_update} days ago",
                "Owner's update": updates.get(r.fix_id, (None, "", ""))[2],
            }
            for r in rows
        ],
        columns=["Fix", "Failure mode", "Owner", "Status", "Due", "Flag", "Last update", "Owner's update"],
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Fix": st.column_config.TextColumn(width=300),
            "Failure mode": st.column_config.TextColumn(width=300),
            "Due": st.column_config.DateColumn(format="D MMM YYYY"),
        },
    )
    if not rows or not ctx.actor.can("manage_fixes"):
        return
    with st.form("council_fix_update", border=True, clear_on_submit=True):
        pick, note, save = st.columns([3, 5, 1], vertical_alignment="bottom")
        fix_id = pick.selectbox(
            "Fix",
            [r.fix_id for r in rows],
            key="council_update_fix",
            format_func=lambda i: next(
                f"{r.title} ({r.owner_team or 'no owner'})" for r in rows if r.fix_id == i
            ),
        )
        text = note.text_input(
            "The owner's update",
            max_chars=1000,
            key="council_update_note",
            placeholder="What happened since last week, what is next",
        )
        if save.form_submit_button("Record", type="primary", width="stretch"):
            row = next(r for r in rows if r.fix_id == fix_id)
            seen = seen_version(ENTITY, row.fix_id, row.version)
            write(
                lambda: record_fix_update(
                    ctx.store, fix_id=row.fix_id, expected_version=seen, note=text, actor=ctx.actor
                ),
                f"Recorded the update on “{md_escape(row.title)}”.",
                rows=[(ENTITY, row.fix_id)],
            )
    for row in rows:
        seen_version(
            ENTITY, row.fix_id, row.version
        )  # what this person saw is what an update is checked against


def loop_step(ctx: PageContext, state: CouncilState, changed: int) -> None:
    shipped, owed = load_loops(state.since, changed)
    if not shipped:
        (st.caption if owed else st.info)("No fix shipped since the last council.")
    for view in shipped:
        _shipped_fix(ctx, view)
    if owed:
        st.markdown("#### Shipped earlier, customers still to tell")
        for view in owed:
            _shipped_fix(ctx, view)
    if shipped or owed:
        st.page_link(
            pages.FIXES_AND_LOOPS.path,
            label="Edit and send the notices on Fixes & loops",
            icon=":material/forward_to_inbox:",
        )


def _shipped_fix(ctx: PageContext, view: LoopView) -> None:
    fix = view.fix
    with st.container(border=True):
        head, action = st.columns([5, 1], vertical_alignment="center")
        head.markdown(f"#### {md_escape(fix.title)}")
        head.caption(
            f"{md_escape(fix.failure_mode)} · {md_escape(fix.owner_team or 'no owner')} · shipped "
            f"{fix.shipped_at:%d %b} · {plural(len(view.reporters), 'customer')} reported it · "
            f"{fix.notices_drafted} notices drafted, {fix.notices_sent} sent"
        )
        if fix.what_changed:
            st.markdown(f"**What changed:** {md_escape(fix.what_changed)}")
        missing = len(view.reporters) > len(view.notices)
        if (
            ctx.actor.can("send_notices")
            and missing
            and action.button(
                "Draft notices", key=f"council_draft_{fix.fix_id}", type="primary", width="stretch"
            )
        ):
            write(
                lambda fix_id=fix.fix_id: draft_notices(ctx.store, fix_id=fix_id, actor=ctx.actor),
                f"Drafted the notices for “{md_escape(fix.title)}”: ready to send.",
            )
        if view.notices:
            ready_first = sorted(
                view.notices, key=lambda n: (n[2] != "drafted", n[0])
            )  # what is still to send
            st.dataframe(
                pd.DataFrame(
                    [{"To": n[1], "Status": n[2].capitalize(), "Notice": n[3]} for n in ready_first]
                ),
                hide_index=True,
                width="stretch",
                height=150,
            )
        else:
            st.dataframe(
                pd.DataFrame(
                    [{"Reporter": r[0], "Account": r[1], "Reported": r[2]} for r in view.reporters],
                    columns=["Reporter", "Account", "Reported"],
                ),
                hide_index=True,
                width="stretch",
                height=150,
            )
