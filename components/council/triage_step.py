"""Council step 2, triage: confirm or correct owners, link to a failure mode, ask for information — on many rows at once."""

from typing import Any

import pandas as pd
import streamlit as st

from components.common.data import glance_now
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import flash, run_write
from components.council.data import CouncilState, load_waiting
from components.failure_modes.data import load_failure_modes
from cxos.council.triage import ACTIONS, BulkResult, bulk_triage
from cxos.vocabulary import Decider, RoutedBy, Severity, Status, label, plural

TABLE_KEY = "council_triage_table"
SNAPSHOT_KEY = "council_triage_rows"
ENTITY = "signal"


def _routed_by(value: str | None) -> str:
    if not value:
        return "— nobody yet"
    routed = RoutedBy.parse(value)
    return {Decider.RULE: "a rule", Decider.MODEL: "the model"}.get(
        routed.kind if routed else None, "a person"
    )


def triage_frame(rows: list[dict], ctx: PageContext) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "#": r["id"],
                "Logged": r["created_at"],
                "What happened": r["title"],
                "Where": ctx.journey.where(r["touchpoint_id"]),
                "Severity": label(Severity, r["severity"]),
                "Owner": ctx.journey.team_name(r["owner_team_id"]) or "— triage",
                "Routed by": _routed_by(r["routed_by"]),
                "Status": label(Status, r["status"]),
            }
            for r in rows
        ],
        columns=["#", "Logged", "What happened", "Where", "Severity", "Owner", "Routed by", "Status"],
    )


def ticked_rows(event: Any) -> list[int]:
    """Positions ticked in the table: the widget's state (a dict when a test sets it)."""
    if not event:
        return []
    return list(event["selection"]["rows"] if isinstance(event, dict) else event.selection.rows)


def selected_ids(frame: pd.DataFrame, event: Any) -> list[int]:
    return [int(frame.iloc[i]["#"]) for i in ticked_rows(event) if i < len(frame)]


def _rows_to_show(state: CouncilState, tick: int) -> tuple[list[dict], dict[str, int]]:
    """While rows are ticked the table holds still: ticks are positions, and a refresh that shifted the rows
    would move them onto other signals. Other people's changes to a held row are caught by its version."""
    if ticked_rows(st.session_state.get(TABLE_KEY)) and SNAPSHOT_KEY in st.session_state:
        return st.session_state[SNAPSHOT_KEY]
    st.session_state[SNAPSHOT_KEY] = load_waiting(state.since, tick)
    return st.session_state[SNAPSHOT_KEY]


def triage_step(ctx: PageContext, state: CouncilState, tick: int, *, presenting: bool) -> None:
    rows, counts = _rows_to_show(state, tick)
    st.markdown(
        f"**{plural(counts['unowned'], 'signal')}** without an owner · **{counts['unconfirmed']:,}** "
        "routed by a rule or the model since the last council, not yet confirmed"
    )
    frame = triage_frame(rows, ctx)
    event = st.dataframe(
        frame,
        key=TABLE_KEY,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        width="stretch",
        height=min(38 + 35 * len(rows), 560 if presenting else 420),
        column_config={
            "#": st.column_config.NumberColumn(width=60, format="%d"),
            "Logged": st.column_config.DatetimeColumn(format="D MMM, HH:mm", width=110),
            "What happened": st.column_config.TextColumn(width=460),
            "Where": st.column_config.TextColumn(width=280),
        },
    )
    if len(rows) < counts["unowned"] + counts["unconfirmed"]:
        st.caption(f"The oldest {len(rows):,} shown; the rest come up as these are done.")
    versions = {r["id"]: seen_version(ENTITY, r["id"], r["version"]) for r in rows}
    if ctx.actor.can("assign_owner"):
        _bulk_form(ctx, selected_ids(frame, event), versions)


def _bulk_form(ctx: PageContext, chosen: list[int], versions: dict[int, int]) -> None:
    action, target, apply = st.columns([3, 4, 2], vertical_alignment="bottom")
    picked = action.selectbox("Do this", list(ACTIONS), format_func=ACTIONS.get, key="council_triage_action")
    team_id = failure_mode_id = None
    question = ""
    if picked == "correct":
        team_id = target.selectbox(
            "Owner team",
            [t for t, _ in ctx.journey.teams],
            index=None,
            format_func=ctx.journey.team_name,
            key="council_triage_team",
            placeholder="Choose the team",
        )
    elif picked == "link":
        modes = {f.id: f.name for f in load_failure_modes(glance_now())}
        failure_mode_id = target.selectbox(
            "Failure mode",
            list(modes),
            index=None,
            format_func=modes.get,
            key="council_triage_mode",
            placeholder="Choose the failure mode",
        )
    elif picked == "needs_info":
        question = target.text_input("What do we need to know?", key="council_triage_question", max_chars=500)
    else:
        target.caption("Keeps the owner a rule or the model chose; an event records that the council agreed.")
    if apply.button(
        f"Apply to {plural(len(chosen), 'signal')}",
        type="primary",
        disabled=not chosen,
        width="stretch",
        key="council_triage_apply",
    ):
        run_write(
            lambda: bulk_triage(
                ctx.store,
                items=[(i, versions[i]) for i in chosen if i in versions],
                action=picked,
                actor=ctx.actor,
                team_id=team_id,
                failure_mode_id=failure_mode_id,
                question=question,
            ),
            done=lambda result: (
                f"{ACTIONS[picked]}: done for {plural(len(result.done), 'signal')}." if result.done else None
            ),
            show="flash",
            rows=[(ENTITY, i) for i in chosen],
            after=_release_table,
        )


def _release_table(result: BulkResult) -> None:
    """Each refused row said with its reason; the table no longer holds still, it shows the queue as it is now."""
    for signal_id, why in result.refused:
        flash("error", f"#{signal_id} refused — {md_escape(why)}")
    st.session_state.pop(TABLE_KEY, None)
    st.session_state.pop(SNAPSHOT_KEY, None)
