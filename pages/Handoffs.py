"""Handoffs and black holes: signals bouncing between owners, time with each owner, stale items, backlogs that only grow."""

import pandas as pd
import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.routing import handoff_charts
from components.routing.handoff_data import load_handoffs, load_owner_spells
from components.routing.handoff_tables import show_backlogs, show_bounced, show_stale
from cxos.routing.handoffs import BACKLOG_WEEKS, BOUNCE_FLAG, STALE_DAYS, time_with_owner
from cxos.vocabulary import plural

ctx = setup_page(pages.HANDOFFS)
now = glance_now()

title, setting = st.columns([5, 1], vertical_alignment="bottom")
title.title("Handoffs & black holes")
stale_days = setting.number_input(
    "Stale after (days)",
    min_value=1,
    max_value=365,
    value=STALE_DAYS,
    step=1,
    key="handoffs_stale_days",
    help="An open signal with no change for this long is stale.",
)
st.caption(
    "Where signals bounce between owners, sit without anyone touching them, or pile up with a team that "
    "closes nothing. Every figure comes from the signals' own history."
)
view = load_handoffs(now, int(stale_days))

flagged, most, stale, holes = st.columns(4)
flagged.metric(
    f"Bounced {BOUNCE_FLAG}+ times",
    f"{view.flagged:,}",
    border=True,
    help="Signals whose owner changed three or more times after the first assignment.",
)
most.metric(
    "Most bounces on one signal", f"{max((r['bounces'] for r in view.bounced), default=0):,}", border=True
)
stale.metric(
    f"Stale: no change for {stale_days} days",
    f"{view.stale_count:,}",
    border=True,
    help="Open signals (not loop-closed, duplicate or won't fix) whose last change is older than that.",
)
holes.metric(
    "Teams growing, closing nothing",
    f"{sum(b.black_hole for b in view.backlogs):,}",
    border=True,
    help=f"Backlog larger than {BACKLOG_WEEKS} weeks ago and nothing fixed or closed since.",
)

bounces, spells = st.columns([3, 2], gap="large")
with bounces.container(border=True):
    st.markdown("#### Bounced between owners")
    st.caption(
        f"The most bounced first; {BOUNCE_FLAG} or more is flagged. Click a number to open the signal."
    )
    if view.bounced:
        show_bounced(view.bounced, ctx.journey)
    else:
        st.info("No signal has changed owner after its first assignment.")
with spells.container(border=True):
    st.markdown("#### Time with each owner")
    titles = {r["id"]: r["title"] for r in view.bounced}
    chosen = st.selectbox(
        "Signal", list(titles), format_func=lambda i: f"#{i} {titles[i]}", key="handoffs_signal"
    )
    if chosen is not None:
        owner_spells = load_owner_spells(chosen, now)
        names = [ctx.journey.team_name(s.team_id) or "Triage" for s in owner_spells]
        st.altair_chart(
            handoff_charts.owner_spells(
                [(n, s.start, s.end) for n, s in zip(names, owner_spells, strict=True)]
            ),
            width="stretch",
        )
        totals = sorted(time_with_owner(owner_spells).items(), key=lambda kv: -kv[1])
        st.dataframe(
            pd.DataFrame(
                [{"Owner": ctx.journey.team_name(t) or "Triage", "Days": round(d, 1)} for t, d in totals]
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption("The current owner's time runs until now, or until the signal was closed.")

with st.container(border=True):
    st.markdown(
        f"#### Stale · {plural(view.stale_count, 'open signal')} with no change for {stale_days} days"
    )
    shown = f"; the first {len(view.stale)} shown." if view.stale_count > len(view.stale) else "."
    st.caption(f"The longest silent first{shown}")
    if view.stale:
        show_stale(view.stale, ctx.journey, now=now)

with st.container(border=True):
    st.markdown(f"#### Team backlogs: now against {BACKLOG_WEEKS} weeks ago")
    st.caption(
        "Backlog: owned signals not yet fixed or closed. A team whose backlog grows while it fixes or closes "
        "nothing is a black hole."
    )
    show_backlogs(view.backlogs, ctx.journey)
