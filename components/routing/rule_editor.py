"""The rule editor form with its test bench: try a draft on recent signals, then save it."""

import pandas as pd
import streamlit as st

from components.common.data import Journey
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.writes import run_write
from components.routing.data import RuleRow
from components.routing.rule_list import rule_refused
from cxos.errors import CxosError, ValidationFailed
from cxos.routing.router import TryOut, try_rule
from cxos.routing.rule_files import condition_lines, parse_condition_lines
from cxos.routing.rules import FIELD_LABELS, FIELD_OPS, OP_LABELS, create_rule, update_rule
from cxos.vocabulary import plural

SAMPLE = 500
EXAMPLE = "text contains_any invoice, VAT, credit note\nstage is Renew & expand\narr between 50000..\ndriver_policy is_true"


def cheat_sheet() -> str:
    """What may be written on a condition line, as a Markdown table."""
    rows = [
        f"| `{field}` | {FIELD_LABELS[field]} | {', '.join(f'`{op}`' for op in ops)} |"
        for field, ops in FIELD_OPS.items()
    ]
    return "\n".join(
        [
            "One condition per line: **field operator value**. Lists are comma-separated; an ARR range is "
            "`min..max` (either side may be empty); `is_true` / `is_false` take no value; `matches` takes a "
            "regular expression (case-insensitive). Stage and touchpoint are journey names.",
            "",
            "| field | means | operators |",
            "|---|---|---|",
            *rows,
            "",
            "Operators: " + " · ".join(f"`{op}` {label}" for op, label in OP_LABELS.items()),
        ]
    )


def rule_editor(ctx: PageContext, *, rule: RuleRow | None, root_causes: list[str], key: str) -> None:
    """A form for a new rule (rule None) or an edit; 'Try it' shows the test bench, 'Save' writes."""
    team_ids = [team_id for team_id, _ in ctx.journey.teams]
    with st.form(key, border=False):
        name = st.text_input(
            "Rule name",
            value=rule.name if rule else "",
            max_chars=120,
            key=f"{key}_name",
            placeholder="e.g. Invoices and currency to Support ops",
        )
        owner_column, cause_column, match_column = st.columns([2, 2, 1])
        owner = owner_column.selectbox(
            "Route to (owner team)",
            team_ids,
            key=f"{key}_owner",
            format_func=ctx.journey.team_name,
            index=team_ids.index(rule.owner_team_id) if rule and rule.owner_team_id in team_ids else None,
            placeholder="Pick the upstream owner",
        )
        causes = ["", *root_causes]
        root_cause = cause_column.selectbox(
            "Root-cause layer (optional)",
            causes,
            key=f"{key}_cause",
            format_func=lambda c: c or "— none",
            index=causes.index(rule.root_cause) if rule and rule.root_cause in causes else 0,
        )
        match = match_column.radio(
            "Match",
            ["all", "any"],
            key=f"{key}_match",
            horizontal=True,
            index=1 if rule and rule.match == "any" else 0,
            format_func=lambda m: "all lines" if m == "all" else "any line",
        )
        text = st.text_area(
            "Conditions, one per line",
            value=condition_lines(rule.conditions) if rule else "",
            height=140,
            key=f"{key}_conditions",
            placeholder=EXAMPLE,
            help="field operator value — see 'How to write conditions' below.",
        )
        enabled = st.checkbox("Enabled", value=rule.enabled if rule else True, key=f"{key}_enabled")
        try_column, save_column, _ = st.columns([2, 1, 3])
        tried = try_column.form_submit_button(
            f"Try it on the last {SAMPLE} signals", icon=":material/science:", width="stretch"
        )
        saved = save_column.form_submit_button("Save rule", type="primary", width="stretch")
    with st.expander("How to write conditions"):
        st.markdown(cheat_sheet())
    if not (tried or saved):
        return
    try:
        rule_in = {
            "name": name,
            "owner_team_id": owner,
            "root_cause": root_cause or None,
            "match": match,
            "conditions": parse_condition_lines(text),
            "enabled": enabled,
        }
        if tried:
            show_try_out(
                try_rule(ctx.store, rule_in=rule_in, rule_id=rule.id if rule else None, limit=SAMPLE),
                ctx.journey,
                owner,
            )
            return
    except CxosError as refused:
        _refused(refused)
        return
    if rule is None:
        run_write(
            lambda: create_rule(ctx.store, rule_in=rule_in, actor=ctx.actor),
            done=lambda stored: f"Rule #{stored.id} saved at the end of the order.",
            show="flash",
            after=_fresh_new_rule_form,
            on_refusal=_refused,
        )
    else:
        run_write(
            lambda: update_rule(
                ctx.store, rule_id=rule.id, expected_version=rule.version, changes=rule_in, actor=ctx.actor
            ),
            done=f"Rule #{rule.id} saved.",
            show="flash",
            rows=[("rule", rule.id)],
            on_refusal=_refused,
        )


def _fresh_new_rule_form(_stored: object) -> None:
    st.session_state["rule_new_generation"] = st.session_state.get("rule_new_generation", 0) + 1


def _refused(refused: CxosError) -> None:
    if isinstance(refused, ValidationFailed):
        st.error(
            "Not saved. "
            + " · ".join(f"{md_escape(part)}: {md_escape(why)}" for part, why in refused.problems.items()),
            icon="⚠️",
        )
    else:
        rule_refused(refused)


def show_try_out(result: TryOut, journey: Journey, owner: int | None) -> None:
    """The test bench: what the draft would catch among recent signals, and whose owner would change."""
    caught = len(result.rows)
    with st.container(border=True):
        st.markdown(f"#### Test bench · catches {caught:,} of the last {plural(result.sample, 'signal')}")
        st.caption(
            f"Owner would change for {plural(result.owner_changes, 'signal')}; "
            f"{plural(result.taken_first, 'signal')} an earlier rule takes first (first match wins). "
            "Nothing is saved until you press Save rule."
        )
        if not caught:
            st.info("No recent signal matches these conditions.")
            return
        frame = pd.DataFrame(
            [
                {
                    "#": row.signal_id,
                    "What happened": row.title,
                    "Where": journey.where(row.touchpoint_id),
                    "Owner now": journey.team_name(row.current_owner_id) or "— triage",
                    "Would go to": (
                        f"rule #{row.taken_first_by} first"
                        if row.taken_first_by is not None
                        else journey.team_name(owner) or "—"
                    ),
                    "Owner changes": row.owner_changes and row.taken_first_by is None,
                }
                for row in result.rows
            ]
        )
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * len(frame), 420),
            column_config={
                "#": st.column_config.NumberColumn(width=60, format="%d"),
                "What happened": st.column_config.TextColumn(width=380),
                "Owner changes": st.column_config.CheckboxColumn(width=110),
            },
        )
