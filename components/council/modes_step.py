"""Council step 3, recurring failure modes: ranked, then for one at a time the root cause, its owner and a planned fix."""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.council.data import CouncilState, load_ranked
from components.council.nav import write
from components.failure_modes.data import load_root_cause_layers
from cxos.council.pulse import RankedFailureMode
from cxos.council.sessions import add_decision
from cxos.failure_modes.writes import update_failure_mode
from cxos.fixes.lifecycle import FIX_STATUS_LABELS, plan_fix

ENTITY = "failure_mode"
DEFAULT_DUE_DAYS = 28


def ranking_frame(ranked: list[RankedFailureMode], ctx: PageContext) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Rank": n,
                "Failure mode": r.figures.name,
                "12 wk": r.figures.recurrence,
                "ARR affected": r.figures.arr,
                "Severity": round(r.severity, 1),
                "Root-cause layer": r.figures.root_cause or "— not named",
                "Owner": ctx.journey.team_name(r.figures.owner_team_id) or "— none",
                "Fix": FIX_STATUS_LABELS.get(r.figures.fix_status, "— none")
                if r.figures.fix_status
                else "— none",
            }
            for n, r in enumerate(ranked, 1)
        ]
    )


def modes_step(ctx: PageContext, state: CouncilState, now: datetime, changed: int) -> None:
    ranked = load_ranked(now, changed)
    if not ranked:
        st.info("No failure mode recurred in the last 12 weeks.")
        return
    st.dataframe(
        ranking_frame(ranked, ctx),
        hide_index=True,
        width="stretch",
        column_config={
            "Rank": st.column_config.NumberColumn(width=50),
            "Failure mode": st.column_config.TextColumn(width=440),
            "ARR affected": st.column_config.NumberColumn(format="dollar"),
            "Severity": st.column_config.NumberColumn(help="Mean severity: low 1 … critical 5"),
        },
    )
    st.caption("Ranked by recurrence (signals in the last 12 weeks) × ARR affected × mean severity.")
    discussion(ctx, state, now, changed)


@st.fragment
def discussion(ctx: PageContext, state: CouncilState, now: datetime, changed: int) -> None:
    """The failure mode the room discusses, its cause and its fix: picking another redraws only this, not the
    ranking above it. A save changes the ranking's figures, so it redraws the page."""
    ranked = load_ranked(now, changed)  # as the ranking drew it, unless a write changed it since
    if not ranked:
        return
    ids = [r.figures.id for r in ranked]
    question, pick = st.columns([2, 3], vertical_alignment="center")
    question.markdown("#### Why are customers asking this at all?")
    chosen = pick.selectbox(
        "Discuss",
        ids,
        key="council_mode",
        label_visibility="collapsed",
        format_func=lambda i: next(
            f"{n}. {r.figures.name}" for n, r in enumerate(ranked, 1) if r.figures.id == i
        ),
    )
    mode = next(r for r in ranked if r.figures.id == chosen)
    cause, fix = st.columns(2, gap="large")
    with cause:
        _cause_form(ctx, mode)
    with fix:
        _fix_form(ctx, state, mode, now)


def _cause_form(ctx: PageContext, mode: RankedFailureMode) -> None:
    figures = mode.figures
    seen = seen_version(ENTITY, figures.id, figures.version)
    layers = [None, *load_root_cause_layers()]
    teams = [None, *(t for t, _ in ctx.journey.teams)]
    disabled = not ctx.actor.can("manage_failure_modes")
    with st.form(f"council_cause_{figures.id}", border=True):
        layer_column, owner_column = st.columns(2)
        layer = layer_column.selectbox(
            "Root-cause layer",
            layers,
            format_func=lambda x: x or "— not named",
            index=layers.index(figures.root_cause) if figures.root_cause in layers else 0,
            key=f"council_layer_{figures.id}",
        )
        owner = owner_column.selectbox(
            "Owner team",
            teams,
            format_func=lambda t: ctx.journey.team_name(t) or "— none yet",
            index=teams.index(figures.owner_team_id) if figures.owner_team_id in teams else 0,
            key=f"council_owner_{figures.id}",
        )
        upstream = st.text_area(
            "Upstream cause, in words",
            figures.upstream_cause,
            max_chars=2000,
            height=100,
            key=f"council_upstream_{figures.id}",
            placeholder="What upstream makes this keep happening?",
        )
        if st.form_submit_button("Save the cause", type="primary", disabled=disabled):
            write(
                lambda: update_failure_mode(
                    ctx.store,
                    failure_mode_id=figures.id,
                    expected_version=seen,
                    changes={"root_cause": layer, "owner_team_id": owner, "upstream_cause": upstream},
                    actor=ctx.actor,
                ),
                f"Saved the cause of “{md_escape(figures.name)}”.",
                rows=[(ENTITY, figures.id)],
                rerun="app",
            )


def _fix_form(ctx: PageContext, state: CouncilState, mode: RankedFailureMode, now: datetime) -> None:
    figures = mode.figures
    # Always one caption: the column keeps the same elements whichever failure mode is picked, so a fragment
    # rerun never leaves the previous mode's form standing beside the new one.
    st.caption(
        f"Latest fix: {FIX_STATUS_LABELS.get(figures.fix_status, figures.fix_status)} — "
        f"{md_escape(figures.fix_title)}"
        if figures.fix_title
        else "No fix planned yet."
    )
    teams = [t for t, _ in ctx.journey.teams]
    disabled = not ctx.actor.can("manage_fixes")
    with st.form(f"council_fix_{figures.id}", border=True, clear_on_submit=True):
        title_column, owner_column, due_column = st.columns([3, 2, 2])
        title = title_column.text_input(
            "Planned fix",
            max_chars=200,
            key=f"council_fix_title_{figures.id}",
            placeholder="The upstream change that stops it",
        )
        owner = owner_column.selectbox(
            "Fix owner",
            teams,
            format_func=ctx.journey.team_name,
            index=teams.index(figures.owner_team_id) if figures.owner_team_id in teams else 0,
            key=f"council_fix_owner_{figures.id}",
        )
        due = due_column.date_input(
            "Due",
            now.date() + timedelta(days=DEFAULT_DUE_DAYS),
            min_value=now.date(),
            key=f"council_fix_due_{figures.id}",
        )
        if st.form_submit_button("Plan the fix", type="primary", disabled=disabled):

            def plan() -> None:
                fix = plan_fix(
                    ctx.store,
                    failure_mode_id=figures.id,
                    title=title,
                    owner_team_id=owner,
                    due_on=due,
                    actor=ctx.actor,
                )
                if (
                    state.current is not None
                ):  # the plan is a decision of this council: it goes in the minutes
                    add_decision(
                        ctx.store,
                        session_id=state.current.id,
                        text=f"Fix “{fix.title}” for {figures.name}",
                        owner=ctx.journey.team_name(owner) or "",
                        due_on=due,
                        actor=ctx.actor,
                    )

            write(
                plan,
                f"Planned “{md_escape(title.strip())}” for {md_escape(figures.name)}, due {due:%d %b}.",
                rows=[("council_session", state.current.id)] if state.current is not None else [],
                rerun="app",
            )
