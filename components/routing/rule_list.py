"""The ordered rules table with each rule's accuracy, the admin's per-rule actions, and YAML import/export."""

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import pandas as pd
import streamlit as st

from components.common.data import Journey
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import run_write
from components.routing.data import RuleRow
from cxos.errors import CxosError, ValidationFailed
from cxos.inputs import text_file
from cxos.models import Rule
from cxos.routing.accuracy import RoutingAccuracy
from cxos.routing.owner_model import suggester_for
from cxos.routing.router import route_unrouted
from cxos.routing.rule_files import export_rules, import_rules
from cxos.routing.rules import delete_rule, describe_condition, move_rule, set_rule_enabled
from cxos.vocabulary import Decider, RoutedBy

T = TypeVar("T")
ENTITY = "rule"  # the seen-versions kind (components/common/seen.py)
DRAWN_AT_IMPORT = "rules_import_drawn"  # {rule id: version} drawn beside the import form on the last run
# What the council scans first (who, how well) on the left; the conditions, the longest, last.
COLUMNS = ["Order", "Rule", "Owner", "Routed", "Accuracy", "Flag", "State", "Root cause", "When"]


def decider_label(decider: str, names: dict[int, str]) -> str:
    """'rule:4' → 'Rule #4 · Billing'; 'model' → 'Owner model'; 'person' → 'By hand (council)'."""
    routed = RoutedBy.parse(decider)
    if routed is None:
        return decider
    if routed.rule_id is not None:
        return f"Rule #{routed.rule_id} · {names.get(routed.rule_id, '(deleted)')}"
    if routed.detail:
        return decider
    return {Decider.MODEL: "Owner model", Decider.PERSON: "By hand (council)"}.get(routed.kind, decider)


def rules_frame(
    rules: list[RuleRow], accuracy: RoutingAccuracy, journey: Journey, orphans: set[int]
) -> pd.DataFrame:
    rows = []
    for order, rule in enumerate(rules, start=1):
        tally = accuracy.rule_tally(rule.id)
        joiner = " and " if rule.match == "all" else " or "
        rows.append(
            {
                "Order": order,
                "Rule": f"#{rule.id} · {rule.name}",
                "When": joiner.join(describe_condition(c) for c in rule.conditions),
                "Owner": journey.team_name(rule.owner_team_id) or f"team #{rule.owner_team_id} (archived)",
                "Root cause": rule.root_cause or "—",
                "State": "⚠ team archived" if rule.id in orphans else ("On" if rule.enabled else "Off"),
                "Routed": tally.routed,
                "Accuracy": tally.accuracy,
                "Flag": "⚠ below 60%" if tally.poor else "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def accuracy_column() -> st.column_config.Column:
    """Accuracy as a bar from 0 to 100%, so a weak rule stands out at a glance."""
    return st.column_config.ProgressColumn(
        format="percent",
        min_value=0.0,
        max_value=1.0,
        width=130,
        help="share of first routes the council never changed",
    )


def show_rules(frame: pd.DataFrame) -> None:
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(frame), 760),
        column_config={
            "Order": st.column_config.NumberColumn(width=60, format="%d"),
            "Rule": st.column_config.TextColumn(width=330),
            "Owner": st.column_config.TextColumn(width=150),
            "Routed": st.column_config.NumberColumn(width=80, format="%d", help="first routes in the window"),
            "Accuracy": accuracy_column(),
            "Flag": st.column_config.TextColumn(width=110),
            "State": st.column_config.TextColumn(width=120),
            "Root cause": st.column_config.TextColumn(width=200),
            "When": st.column_config.TextColumn(width="large"),
        },
    )


def as_seen(rules: list[RuleRow]) -> dict[int, RuleRow]:
    """The rules by id, each carrying the version this person first saw here (not one fetched at a click)."""
    return {rule.id: replace(rule, version=seen_version(ENTITY, rule.id, rule.version)) for rule in rules}


def rule_actions(ctx: PageContext, rule: RuleRow, *, above: RuleRow | None, below: RuleRow | None) -> None:
    """Move up/down, switch on/off, delete: each checked against the versions shown (a move also against the
    neighbour shown, so it never swaps with a rule that came there since)."""
    up, down, toggle, delete, _ = st.columns([1, 1, 1, 1, 2])
    if up.button(
        "Move up", icon=":material/arrow_upward:", disabled=above is None, width="stretch", key="rule_up"
    ):
        _run(lambda: _move(ctx, rule, -1, above), f"Rule #{rule.id} moved up.")
    if down.button(
        "Move down",
        icon=":material/arrow_downward:",
        disabled=below is None,
        width="stretch",
        key="rule_down",
    ):
        _run(lambda: _move(ctx, rule, 1, below), f"Rule #{rule.id} moved down.")
    if toggle.button(
        "Disable" if rule.enabled else "Enable",
        width="stretch",
        key="rule_toggle",
        icon=":material/toggle_off:" if rule.enabled else ":material/toggle_on:",
    ):
        _run(
            lambda: set_rule_enabled(
                ctx.store,
                rule_id=rule.id,
                expected_version=rule.version,
                enabled=not rule.enabled,
                actor=ctx.actor,
            ),
            f"Rule #{rule.id} {'disabled' if rule.enabled else 'enabled'}.",
        )
    with delete.popover("Delete", icon=":material/delete:", width="stretch"):
        st.caption("Signals it routed keep 'rule #N' in their history.")
        if st.button(f"Delete rule #{rule.id}", type="primary", key="rule_delete"):
            _run(
                lambda: delete_rule(
                    ctx.store, rule_id=rule.id, expected_version=rule.version, actor=ctx.actor
                ),
                f"Rule #{rule.id} deleted.",
            )


def _move(ctx: PageContext, rule: RuleRow, direction: int, neighbour: RuleRow | None) -> Rule:
    if neighbour is None:  # the button is disabled then; a stale click still gets the service's own answer
        raise ValidationFailed({"position": "the rule is already at that end of the list"})
    return move_rule(
        ctx.store,
        rule_id=rule.id,
        expected_version=rule.version,
        direction=direction,
        neighbour=(neighbour.id, neighbour.version),
        actor=ctx.actor,
    )


def _run(change: Callable[[], T], done: str | Callable[[T], str]) -> None:
    """The rules page's writes: the message is flashed under the page's title, a refusal shown where it was made.
    A move renumbers the list, so after any of them every rule is seen as stored now."""
    run_write(change, done=done, show="flash", rows=[(ENTITY, None)], on_refusal=rule_refused)


def rule_refused(refused: CxosError) -> None:
    st.error(md_escape(refused), icon="⚠️")


def import_export(ctx: PageContext, rules: list[RuleRow]) -> None:
    """Download the rules as YAML; upload a YAML file to add to (or replace) them.

    A replacement is checked against the rules drawn when the person clicked, i.e. on the run before the click:
    the click's own run has already fetched any rule changed or added meanwhile, which they never saw.
    """
    drawn = {rule.id: rule.version for rule in as_seen(rules).values()}
    seen = st.session_state.get(DRAWN_AT_IMPORT, drawn)
    st.session_state[DRAWN_AT_IMPORT] = drawn
    st.download_button(
        "Download the rules (YAML)",
        export_rules(ctx.store),
        file_name="cxos-rules.yaml",
        mime="application/x-yaml",
        icon=":material/download:",
    )
    if not ctx.actor.can("manage_rules"):
        return
    with st.form("rules_import", border=False):
        upload = st.file_uploader("Import a rules file (YAML)", type=["yaml", "yml"])
        replace = st.checkbox("Replace the current rules (they are deleted; their history stays)")
        submitted = st.form_submit_button("Import", icon=":material/upload:")
    if submitted and upload is not None:
        run_write(
            lambda: import_rules(
                ctx.store,
                text=text_file(upload.getvalue(), name=upload.name),
                actor=ctx.actor,
                replace=replace,
                rules_seen=seen if replace else None,
            ),
            done=lambda count: f"Imported {count} rules.",
            show="flash",
            rows=[(ENTITY, None)],
            on_refusal=_import_refused,
        )


def _import_refused(refused: CxosError) -> None:
    if not isinstance(refused, ValidationFailed):
        rule_refused(refused)
        return
    st.error(
        "Nothing was imported. The file has problems:\n\n"
        + "\n".join(f"- {md_escape(where)}: {md_escape(why)}" for where, why in refused.problems.items()),
        icon="⚠️",
    )


def route_now(ctx: PageContext, waiting: int) -> None:
    """Run every unrouted signal through the rules, then the owner model (council and admins)."""
    text, button = st.columns([4, 1], vertical_alignment="center")
    text.markdown(
        f"**{waiting:,}** new signals wait in triage without an owner. Routing them tries the rules in "
        "order, then the owner model; what neither is sure about stays in triage."
    )
    if not button.button(
        "Route them now", icon=":material/alt_route:", disabled=not waiting, width="stretch", key="route_now"
    ):
        return
    with st.spinner("Routing…"):
        _run(
            lambda: route_unrouted(ctx.store, actor=ctx.actor, suggester=suggester_for(ctx.store)),
            lambda report: (
                f"Routed {report.routed:,} of {report.examined:,}: {sum(report.by_rule.values()):,} by rules, "
                f"{report.by_model:,} by the model; {report.in_triage + report.orphaned:,} stay in triage."
            ),
        )
