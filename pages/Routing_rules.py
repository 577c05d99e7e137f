"""Routing rules: the ordered if/then rules, their accuracy, the editor with its test bench, YAML in and out."""

import streamlit as st

from components.common import pages
from components.common.data import figures_day
from components.common.page import setup_page
from components.common.safe import md_escape, md_inline
from components.common.writes import show_flashes
from components.routing.accuracy import accuracy_cards
from components.routing.data import load_root_causes, load_routing_accuracy, load_rules, load_unrouted_count
from components.routing.rule_editor import rule_editor
from components.routing.rule_list import (
    as_seen,
    import_export,
    route_now,
    rule_actions,
    rules_frame,
    show_rules,
)
from cxos import config
from cxos.kpis import headline
from cxos.routing.accuracy import MIN_ROUTED, POOR_ACCURACY
from cxos.routing.patterns import search_timeouts
from cxos.vocabulary import Decider, RoutedBy, plural

ctx = setup_page(pages.ROUTING_RULES)
rules, warnings = load_rules()
day = figures_day()
accuracy = load_routing_accuracy(day)
names = {rule.id: rule.name for rule in rules}
orphans = {rule.id for rule in rules if rule.enabled and rule.owner_team_id not in dict(ctx.journey.teams)}

st.title("Routing rules")
st.caption(
    "Tried top to bottom: the first enabled rule whose conditions match names the owner. No match → the "
    f"owner model routes it when at least {config.routing_confidence():.0%} sure → otherwise it waits in "
    "the triage queue. Nothing is dropped."
)
show_flashes()  # our own messages, no user text
for warning in warnings:
    st.warning(md_escape(warning), icon="⚠️")
for pattern, count in search_timeouts():
    st.warning(
        f"The pattern “{md_inline(pattern)}” ran out of time on {plural(count, 'signal')} since the app started; "
        "those were treated as not matching it and went on to the next rule. Simplify the pattern.",
        icon="⏱️",
    )

overall, by_rules, volume, flagged = st.columns(4)
overall.metric(
    headline.ROUTING_ACCURACY.label,
    headline.percent(accuracy.overall.accuracy),
    border=True,
    help=headline.ROUTING_ACCURACY.caption(day) + ": no later owner change, no return to triage.",
)
rule_share = sum(t.routed for k, t in accuracy.by_decider.items() if RoutedBy(k).kind is Decider.RULE)
by_rules.metric(
    "Routed by rules",
    f"{rule_share / accuracy.overall.routed:.0%}" if accuracy.overall.routed else "—",
    border=True,
    help="Share of first routes made by a rule (the rest: the owner model or by hand).",
)
volume.metric(
    "First routes counted",
    f"{accuracy.overall.routed:,}",
    border=True,
    help=f"Signals that got their first owner in the {headline.ROUTING.text(day)}.",
)
flagged.metric(
    "Rules flagged",
    len(accuracy.flagged),
    border=True,
    help=f"Rules (or the model) below {POOR_ACCURACY:.0%} accuracy with at least {MIN_ROUTED} routes.",
)

if ctx.actor.can("route_signals"):
    with st.container(border=True):
        route_now(ctx, load_unrouted_count())

with st.container(border=True):
    st.markdown(f"#### Rules · {len(rules)} in order")
    show_rules(rules_frame(rules, accuracy, ctx.journey, orphans))

if ctx.actor.can("manage_rules"):
    with st.container(border=True):
        new_tab, change_tab, files_tab = st.tabs(["New rule", "Change a rule", "Import / export"])
        with new_tab:
            rule_editor(
                ctx,
                rule=None,
                root_causes=load_root_causes(),
                key=f"rule_new_{st.session_state.get('rule_new_generation', 0)}",
            )
        with change_tab:
            by_id = as_seen(rules)
            chosen = st.selectbox(
                "Rule",
                list(by_id),
                format_func=lambda rid: f"#{rid} · {names[rid]}",
                index=None,
                placeholder="Pick a rule to move, switch off, delete or edit",
                key="rule_chosen",
            )
            if chosen in by_id:
                order = list(by_id)
                at = order.index(chosen)
                rule_actions(
                    ctx,
                    by_id[chosen],
                    above=by_id[order[at - 1]] if at > 0 else None,
                    below=by_id[order[at + 1]] if at + 1 < len(order) else None,
                )
                rule_editor(
                    ctx,
                    rule=by_id[chosen],
                    root_causes=load_root_causes(),
                    key=f"rule_edit_{chosen}_{by_id[chosen].version}",
                )
        with files_tab:
            import_export(ctx, rules)
else:
    with st.container(border=True):
        st.caption("Only admins change rules. You can download them as YAML.")
        import_export(ctx, rules)

accuracy_cards(accuracy, names, ctx.journey)
