"""One failure mode in full: live figures and trend, the council's edits, its signals (split, unlink), its history."""

from collections.abc import Callable
from datetime import datetime

import streamlit as st

from components.common import pages
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import forget_seen, seen_version
from components.common.writes import run_write
from components.failure_modes import charts as failure_mode_charts
from components.failure_modes.data import (
    load_failure_mode,
    load_failure_mode_signals,
    load_failure_mode_timeline,
    load_failure_modes,
    load_root_cause_layers,
)
from components.failure_modes.table import FIX_STATUS, linked_signals_frame, show_linked_signals
from components.signals.detail import describe_event
from cxos.failure_modes.figures import FailureModeFigures
from cxos.failure_modes.writes import (
    accept_failure_mode,
    merge_failure_modes,
    split_failure_mode,
    unlink_signals,
    update_failure_mode,
)
from cxos.models import Event
from cxos.vocabulary import EventAction, plural

# Events about the whole failure mode (no field), in words.
WHOLE_ROW_ACTIONS = {
    EventAction.CREATED: "created it",
    EventAction.MERGED: "merged another into it",
    EventAction.SPLIT: "split signals out",
}

ENTITY = "failure_mode"


def failure_mode_detail(ctx: PageContext, failure_mode_id: int, now: datetime) -> None:
    mode = load_failure_mode(failure_mode_id, now)
    if mode is None:
        st.warning(f"Failure mode #{failure_mode_id} does not exist.")
        return
    # The version this person opened: edits are checked against it, so someone else's change is never overwritten.
    seen = seen_version(ENTITY, mode.id, mode.version)
    if mode.version != seen:
        with st.container(border=True):
            st.warning(
                f"Someone changed this failure mode after you opened it (now version {mode.version}). "
                "What you see is their version; reload to act on it."
            )
            if st.button("Reload", type="primary"):
                _forget(mode.id)
                st.rerun()
    st.markdown(f"## {md_escape(mode.name)}")
    st.caption(
        " · ".join(
            [
                f"#{mode.id}",
                mode.status.capitalize(),
                f"owner: {md_escape(ctx.journey.team_name(mode.owner_team_id) or 'none yet')}",
                f"root-cause layer: {md_escape(mode.root_cause or 'not named')}",
                md_escape(ctx.journey.where(mode.touchpoint_id)) if mode.touchpoint_id else "any touchpoint",
            ]
        )
    )
    if mode.merged_into_id:
        st.info(f"Merged into failure mode #{mode.merged_into_id}; its signals moved there.")
        st.page_link(
            pages.FAILURE_MODES.path,
            label=f"Open failure mode #{mode.merged_into_id}",
            query_params={"failure_mode": str(mode.merged_into_id)},
            icon=":material/arrow_forward:",
        )
    _figures(mode, now)
    if ctx.actor.can("manage_failure_modes") and mode.status != "merged":
        edit, merge = st.columns([3, 2], gap="large")
        with edit:
            _edit_form(ctx, mode, seen)
        with merge:
            _merge_form(ctx, mode, seen, now)
    _signals(ctx, mode, seen)
    events = load_failure_mode_timeline(mode.id)
    with st.expander(f"History · {plural(len(events), 'event')}"):
        for event in events:
            st.markdown(_describe(event, ctx))


def _figures(mode: FailureModeFigures, now: datetime) -> None:
    signals, accounts, arr, first, last = st.columns(5)
    signals.metric(
        "Signals", f"{mode.signals:,}", border=True, help=f"{mode.recurrence:,} in the last 12 weeks"
    )
    accounts.metric("Accounts", f"{mode.accounts:,}", border=True)
    arr.metric(
        "ARR affected", f"${mode.arr:,}", border=True, help="Each affected account's ARR, counted once"
    )
    first.metric("First seen", f"{mode.first_seen:%d %b %Y}" if mode.first_seen else "—", border=True)
    last.metric("Last seen", f"{mode.last_seen:%d %b %Y}" if mode.last_seen else "—", border=True)
    trend, cause = st.columns([3, 2], gap="large")
    with trend.container(border=True):
        st.markdown("#### Signals per week, last 12 weeks")
        st.altair_chart(failure_mode_charts.weekly_signals(mode.weekly, now=now), width="stretch")
    with cause.container(border=True):
        st.markdown("#### Upstream cause")
        st.markdown(md_escape(mode.upstream_cause) if mode.upstream_cause else "_Not written down yet._")
        st.markdown("#### Fix")
        st.markdown(
            f"**{FIX_STATUS.get(mode.fix_status, mode.fix_status)}:** {md_escape(mode.fix_title)}"
            if mode.fix_title
            else "_No fix yet._"
        )


def _edit_form(ctx: PageContext, mode: FailureModeFigures, seen: int) -> None:
    layers = [None, *load_root_cause_layers()]
    teams = [None, *(team_id for team_id, _ in ctx.journey.teams)]
    with st.form(f"fm_edit_{mode.id}", border=True):
        st.markdown("#### Name, owner and upstream cause")
        name = st.text_input("Name", mode.name, max_chars=200, key=f"fm_name_{mode.id}")
        owner = st.selectbox(
            "Owner team",
            teams,
            index=teams.index(mode.owner_team_id) if mode.owner_team_id in teams else 0,
            format_func=lambda t: "— none yet" if t is None else ctx.journey.team_name(t),
            key=f"fm_owner_{mode.id}",
        )
        layer = st.selectbox(
            "Root-cause layer",
            layers,
            index=layers.index(mode.root_cause) if mode.root_cause in layers else 0,
            format_func=lambda x: "— not named" if x is None else x,
            key=f"fm_layer_{mode.id}",
        )
        cause = st.text_area(
            "Upstream cause, in words",
            mode.upstream_cause,
            max_chars=2000,
            key=f"fm_cause_{mode.id}",
            placeholder="What upstream makes this keep happening?",
        )
        if st.form_submit_button("Save", type="primary"):
            changes = {"name": name, "owner_team_id": owner, "root_cause": layer, "upstream_cause": cause}
            _run(
                mode.id,
                lambda: update_failure_mode(
                    ctx.store,
                    failure_mode_id=mode.id,
                    expected_version=seen,
                    changes=changes,
                    actor=ctx.actor,
                ),
            )
    if mode.status == "candidate" and st.button("Accept as a failure mode", key=f"fm_accept_{mode.id}"):
        _run(
            mode.id,
            lambda: accept_failure_mode(
                ctx.store, failure_mode_id=mode.id, expected_version=seen, actor=ctx.actor
            ),
        )


def _merge_form(ctx: PageContext, mode: FailureModeFigures, seen: int, now: datetime) -> None:
    others = [f for f in load_failure_modes(now) if f.id != mode.id]
    # each target as it was when this page first showed it: a merge into one renamed since is refused
    seen_targets = {f.id: seen_version(ENTITY, f.id, f.version) for f in others}
    with st.form(f"fm_merge_{mode.id}", border=True):
        st.markdown("#### Merge into another failure mode")
        st.caption("This one is kept as merged; each of its signals moves to the other, with an event.")
        target = st.selectbox(
            "Merge into",
            [f.id for f in others],
            index=None,
            placeholder="Choose a failure mode",
            format_func=lambda i: next(f"#{f.id} {f.name}" for f in others if f.id == i),
            key=f"fm_merge_target_{mode.id}",
        )
        if st.form_submit_button("Merge"):
            if target is None:
                st.error("Choose the failure mode to merge into.")
            else:
                _run(
                    mode.id,
                    lambda: merge_failure_modes(
                        ctx.store,
                        source_id=mode.id,
                        source_version=seen,
                        target_id=target,
                        target_version=seen_targets[target],
                        actor=ctx.actor,
                    ),
                )


def _signals(ctx: PageContext, mode: FailureModeFigures, seen: int) -> None:
    rows = load_failure_mode_signals(mode.id)
    with st.container(border=True):
        st.markdown(f"#### Its signals · {plural(mode.signals, 'signal')}")
        st.caption(
            "Newest first"
            + (f", the newest {len(rows):,} shown" if len(rows) < mode.signals else "")
            + ". Click a number to open the signal."
        )
        show_linked_signals(linked_signals_frame(rows, ctx.journey), key=f"fm_signals_{mode.id}")
        if not (ctx.actor.can("manage_failure_modes") and rows and mode.status != "merged"):
            return
        # Each signal as first shown here: an unlink is refused for one someone changed since.
        signals_seen = {row["id"]: seen_version("signal", row["id"], row["version"]) for row in rows}
        with st.form(f"fm_split_{mode.id}", border=False):
            chosen = st.multiselect(
                "Signals to split out or unlink",
                [row["id"] for row in rows],
                format_func=lambda i: next(f"#{r['id']} {r['title']}" for r in rows if r["id"] == i),
                key=f"fm_split_signals_{mode.id}",
            )
            new_name = st.text_input(
                "Name of the new failure mode (to split)", max_chars=200, key=f"fm_split_name_{mode.id}"
            )
            split, unlink = st.columns(2)
            if split.form_submit_button("Split into a new failure mode", width="stretch"):
                _run(
                    mode.id,
                    lambda: split_failure_mode(
                        ctx.store,
                        failure_mode_id=mode.id,
                        expected_version=seen,
                        signal_ids=chosen,
                        name=new_name,
                        actor=ctx.actor,
                    ),
                )
            if unlink.form_submit_button("Unlink from this failure mode", width="stretch"):
                _run(
                    mode.id,
                    lambda: unlink_signals(
                        ctx.store, signals_seen={i: signals_seen[i] for i in chosen}, actor=ctx.actor
                    ),
                )


def _describe(event: Event, ctx: PageContext) -> str:
    when, who = f"**{event.at:%d %b %Y %H:%M}**", md_escape(event.actor)
    if event.action in WHOLE_ROW_ACTIONS and not event.field:
        what = WHOLE_ROW_ACTIONS[EventAction(event.action)]
        return f"{when} · {who} · {what}" + (f" — {md_escape(event.note)}" if event.note else "")
    return describe_event(event, ctx.journey)


def _forget(failure_mode_id: int) -> None:
    """Drop this failure mode's remembered version and widget state, so the forms show what is stored."""
    forget_seen(ENTITY, [failure_mode_id])
    forget_seen("signal")  # the signals it linked or unlinked are ours now, as stored
    for name in [
        k for k in st.session_state if str(k).startswith("fm_") and str(k).endswith(f"_{failure_mode_id}")
    ]:
        del st.session_state[name]


def _run(failure_mode_id: int, change: Callable[[], object]) -> None:
    """Do one service call; on success redraw the failure mode as it is now, on refusal say why."""
    run_write(change, rows=[(ENTITY, failure_mode_id)], after=lambda _: _forget(failure_mode_id))
