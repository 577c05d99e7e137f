"""Candidates from clustering and merge suggestions: the council turns clusters into named failure modes."""

from collections.abc import Callable
from datetime import datetime

import pandas as pd
import streamlit as st

from components.common import pages
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import run_write
from components.failure_modes.data import load_clustering, load_failure_modes, load_root_cause_layers
from cxos.clock import utcnow
from cxos.failure_modes.clustering import WINDOW_DAYS, Candidate, Clustering
from cxos.failure_modes.writes import create_failure_mode, link_signals, merge_failure_modes
from cxos.signals.writes import set_status
from cxos.vocabulary import Status, plural

RUN_KEY = "fm_cluster_run"
PICK_KEY = "fm_candidate_pick"


def candidates_card(ctx: PageContext, now: datetime) -> None:
    with st.container(border=True):
        title, run = st.columns([4, 1], vertical_alignment="center")
        title.markdown("#### Candidates from clustering")
        if run.button("Find candidates", icon=":material/hub:", type="primary", width="stretch"):
            st.session_state[RUN_KEY] = utcnow()
        st.caption(
            f"Similar signals at the same touchpoint in the last {WINDOW_DAYS} days that are not yet in an "
            "accepted failure mode. Accept one to name it, give it an owner and its upstream cause."
        )
        run_at = st.session_state.get(RUN_KEY)
        if run_at is None:
            st.info("Press **Find candidates** to cluster the recent signals (a few seconds).")
            return
        result = load_clustering(run_at)
        st.markdown(
            f"**{plural(len(result.candidates), 'candidate')}** from {plural(result.considered, 'signal')} "
            f"· clustered at {run_at:%H:%M} UTC"
        )
        if result.candidates:
            st.dataframe(
                _candidates_frame(result.candidates, ctx, now),
                hide_index=True,
                width="stretch",
                height=360,
                column_config={
                    "Signals": st.column_config.NumberColumn(width=70),
                    "ARR affected": st.column_config.NumberColumn(format="dollar", width=110),
                    "Suggested name": st.column_config.TextColumn(width=380),
                    "Where": st.column_config.TextColumn(width=240),
                    "First seen": st.column_config.DatetimeColumn(format="D MMM YYYY"),
                    "Last seen": st.column_config.DatetimeColumn(format="D MMM YYYY"),
                },
            )
            if ctx.actor.can("manage_failure_modes"):
                _accept_form(ctx, result.candidates, now)
    _merge_suggestions(ctx, result, now)


def _candidates_frame(candidates: list[Candidate], ctx: PageContext, now: datetime) -> pd.DataFrame:
    names = {f.id: f.name for f in load_failure_modes(now)}
    return pd.DataFrame(
        [
            {
                "Suggested name": c.suggested_name,
                "Where": ctx.journey.where(c.touchpoint_id),
                "Signals": c.size,
                "Accounts": c.accounts,
                "ARR affected": c.arr,
                "Key words": ", ".join(c.top_terms),
                "Looks like": f"#{c.similar_failure_mode_id} {names.get(c.similar_failure_mode_id, '')}"
                if c.similar_failure_mode_id
                else "—",
                "First seen": c.first_seen,
                "Last seen": c.last_seen,
            }
            for c in candidates
        ]
    )


def _accept_form(ctx: PageContext, candidates: list[Candidate], now: datetime) -> None:
    if st.session_state.get(PICK_KEY) is not None and st.session_state[PICK_KEY] >= len(candidates):
        del st.session_state[PICK_KEY]
    pick = st.selectbox(
        "Candidate to act on",
        range(len(candidates)),
        key=PICK_KEY,
        format_func=lambda i: f"{candidates[i].suggested_name} · {plural(candidates[i].size, 'signal')}",
    )
    candidate = candidates[pick]
    # Its signals as first shown here (a rerun may re-cluster after anyone's write): a signal someone linked
    # or changed since makes the accept or the link refused, not overwritten.
    signals_seen = {i: seen_version("signal", i, v) for i, v in candidate.signals_seen.items()}
    touchpoint = ctx.journey.touchpoint(candidate.touchpoint_id)
    teams = [None, *(team_id for team_id, _ in ctx.journey.teams)]
    layers = [None, *load_root_cause_layers()]
    with st.form("fm_accept_candidate", border=True):
        st.markdown(
            f"#### Accept as a failure mode · {md_escape(ctx.journey.where(candidate.touchpoint_id))}"
        )
        name = st.text_input("Name", candidate.suggested_name, max_chars=200)
        default_owner = touchpoint.team_id if touchpoint and touchpoint.team_id in teams else None
        owner = st.selectbox(
            "Owner team",
            teams,
            index=teams.index(default_owner),
            format_func=lambda t: "— none yet" if t is None else ctx.journey.team_name(t),
        )
        layer = st.selectbox(
            "Root-cause layer", layers, format_func=lambda x: "— not named" if x is None else x
        )
        cause = st.text_area("Upstream cause, in words", max_chars=2000)
        if st.form_submit_button("Accept as a failure mode", type="primary"):
            _run(
                lambda: create_failure_mode(
                    ctx.store,
                    name=name,
                    signals_seen=signals_seen,
                    status="accepted",
                    touchpoint_id=candidate.touchpoint_id,
                    owner_team_id=owner,
                    root_cause=layer,
                    upstream_cause=cause,
                    actor=ctx.actor,
                ),
                f"Accepted “{md_escape(name.strip())}” with {plural(candidate.size, 'signal')}.",
            )
    similar = candidate.similar_failure_mode_id
    if similar and st.button(f"Add these {candidate.size} signals to failure mode #{similar} instead"):
        _run(
            lambda: link_signals(
                ctx.store, failure_mode_id=similar, signals_seen=signals_seen, actor=ctx.actor
            ),
            f"Linked {plural(candidate.size, 'signal')} to #{similar}.",
        )


def _merge_suggestions(ctx: PageContext, result: Clustering, now: datetime) -> None:
    if not (result.merges or result.duplicates):
        return
    names = {f.id: f.name for f in load_failure_modes(now)}
    with st.container(border=True):
        st.markdown("#### Merge suggestions")
        for pair in result.merges:
            words, button = st.columns([5, 1], vertical_alignment="center")
            words.markdown(
                f"Failure mode **#{pair.source_id} {md_escape(names.get(pair.source_id, ''))}** looks like "
                f"**#{pair.target_id} {md_escape(names.get(pair.target_id, ''))}** ({pair.similarity:.0%} alike)"
            )
            seen = seen_version("failure_mode", pair.source_id, pair.source_version)
            target_seen = seen_version("failure_mode", pair.target_id, pair.target_version)
            if ctx.actor.can("manage_failure_modes") and button.button(
                "Merge", key=f"fm_merge_{pair.source_id}_{pair.target_id}"
            ):
                _run(
                    lambda p=pair, seen=seen, target_seen=target_seen: merge_failure_modes(
                        ctx.store,
                        source_id=p.source_id,
                        source_version=seen,
                        target_id=p.target_id,
                        target_version=target_seen,
                        actor=ctx.actor,
                    ),
                    f"Merged #{pair.source_id} into #{pair.target_id}.",
                )
        if result.duplicates:
            st.markdown(
                f"**{plural(len(result.duplicates), 'pair')} of signals** say the same thing from the same account:"
            )
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Keep": pages.FRICTION_LOG.url(signal=d.keep_id),
                            "Duplicate": pages.FRICTION_LOG.url(signal=d.duplicate_id),
                            "Alike": d.similarity,
                        }
                        for d in result.duplicates
                    ]
                ),
                hide_index=True,
                height=min(38 + 35 * len(result.duplicates), 300),
                column_config={
                    "Keep": st.column_config.LinkColumn(display_text=r"signal=(\d+)$"),
                    "Duplicate": st.column_config.LinkColumn(display_text=r"signal=(\d+)$"),
                    "Alike": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                },
            )
            if ctx.actor.can("set_status"):
                pairs = {d.duplicate_id: d for d in result.duplicates}
                chosen = st.selectbox(
                    "Mark as a duplicate",
                    list(pairs),
                    index=None,
                    placeholder="Choose a pair",
                    format_func=lambda i: f"#{i} duplicate of #{pairs[i].keep_id}",
                )
                seen = (
                    None
                    if chosen is None
                    else seen_version("signal", chosen, pairs[chosen].duplicate_version)
                )
                if seen is not None and st.button(
                    f"Mark #{chosen} as a duplicate of #{pairs[chosen].keep_id}"
                ):
                    pair = pairs[chosen]
                    _run(
                        lambda: set_status(
                            ctx.store,
                            signal_id=pair.duplicate_id,
                            expected_version=seen,
                            status=Status.DUPLICATE,
                            duplicate_of_id=pair.keep_id,
                            actor=ctx.actor,
                        ),
                        f"#{pair.duplicate_id} is now a duplicate of #{pair.keep_id}.",
                    )


def _run(change: Callable[[], object], done: str) -> None:
    """One service call; after it the candidate picker starts again from the first candidate."""
    run_write(
        change,
        done=done,
        rows=[("signal", None), ("failure_mode", None)],  # what it linked is ours now, as stored
        after=lambda _: st.session_state.pop(PICK_KEY, None),
    )
