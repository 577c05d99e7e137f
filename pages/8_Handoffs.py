"""Handoffs and black holes: signals bouncing between owners, time with each owner, stale items, backlogs that only grow."""

import pandas as pd
import streamlit as st

from components import handoff_charts
from components.data import glance_now
from components.failure_mode_table import LOG_URL
from components.handoff_data import load_handoffs, load_owner_spells
from components.page import setup_page
from cxos.handoffs import BACKLOG_WEEKS, BOUNCE_FLAG, STALE_DAYS, time_with_owner
from cxos.vocabulary import Status, label, plural

ctx = setup_page("Handoffs", ":material/swap_horiz:")
now = glance_now()
SIGNAL_LINK = st.column_config.LinkColumn("#", display_text=r"signal=(\d+)$", width=70)

title, setting = st.columns([5, 1], vertical_alignment="bottom")
title.title("Handoffs & black holes")
stale_days = setting.number_input("Stale after (days)", min_value=1, max_value=365, value=STALE_DAYS, step=1,
                                  key="handoffs_stale_days", help="An open signal with no change for this long is stale.")
st.caption("Where signals bounce between owners, sit without anyone touching them, or pile up with a team "
           "that closes nothing. Every figure comes from the signals' own history.")
view = load_handoffs(now, int(stale_days))
black_holes = [b for b in view.backlogs if b.black_hole]

flagged, bounced, stale, holes = st.columns(4)
flagged.metric(f"Bounced {BOUNCE_FLAG}+ times", f"{view.flagged:,}", border=True,
               help="Signals whose owner changed three or more times after the first assignment.")
bounced.metric("Most bounces on one signal", f"{max((r['bounces'] for r in view.bounced), default=0):,}", border=True)
stale.metric(f"Stale: no change for {stale_days} days", f"{view.stale_count:,}", border=True,
             help="Open signals (not loop-closed, duplicate or won't fix) whose last change is older than that.")
holes.metric("Teams growing, closing nothing", f"{len(black_holes):,}", border=True,
             help=f"Backlog larger than {BACKLOG_WEEKS} weeks ago and nothing fixed or closed since.")


def where_and_owner(row: dict) -> dict:
    return {"Where": ctx.journey.where(row["touchpoint_id"]), "Owner now": ctx.journey.team_name(row["owner_team_id"])
            or "— triage", "Status": label(Status, row["status"])}


bounces, spells = st.columns([3, 2], gap="large")
with bounces.container(border=True):
    st.markdown("#### Bounced between owners")
    st.caption(f"The most bounced first; {BOUNCE_FLAG} or more is flagged. Click a number to open the signal.")
    frame = pd.DataFrame([{"Open": LOG_URL.format(r["id"]), "Bounces": r["bounces"],
                           "Flag": "⚑ bounced" if r["bounces"] >= BOUNCE_FLAG else "", "What happened": r["title"],
                           **where_and_owner(r)} for r in view.bounced])
    if frame.empty:
        st.info("No signal has changed owner after its first assignment.")
    else:
        st.dataframe(frame, hide_index=True, width="stretch", height=420,
                     column_config={"Open": SIGNAL_LINK, "Bounces": st.column_config.NumberColumn(width=70),
                                    "Flag": st.column_config.TextColumn(width=90),
                                    "What happened": st.column_config.TextColumn(width=280),
                                    "Where": st.column_config.TextColumn(width=200),
                                    "Owner now": st.column_config.TextColumn(width=110),
                                    "Status": st.column_config.TextColumn(width=90)})
with spells.container(border=True):
    st.markdown("#### Time with each owner")
    choices = [r["id"] for r in view.bounced]
    titles = {r["id"]: r["title"] for r in view.bounced}
    chosen = st.selectbox("Signal", choices, format_func=lambda i: f"#{i} {titles[i]}", key="handoffs_signal")
    if chosen is not None:
        owner_spells = load_owner_spells(chosen, now)
        names = [ctx.journey.team_name(s.team_id) or "Triage" for s in owner_spells]
        st.altair_chart(handoff_charts.owner_spells([(n, s.start, s.end) for n, s in zip(names, owner_spells, strict=True)]),
                        width="stretch")
        totals = time_with_owner(owner_spells)
        st.dataframe(pd.DataFrame([{"Owner": ctx.journey.team_name(t) or "Triage", "Days": round(d, 1)}
                                   for t, d in sorted(totals.items(), key=lambda kv: -kv[1])]),
                     hide_index=True, width="stretch")
        st.caption("The current owner's time runs until now, or until the signal was closed.")

with st.container(border=True):
    st.markdown(f"#### Stale · {plural(view.stale_count, 'open signal')} with no change for {stale_days} days")
    st.caption("The longest silent first" + (f"; the first {len(view.stale)} shown." if view.stale_count > len(view.stale) else "."))
    if view.stale:
        st.dataframe(pd.DataFrame([{"Open": LOG_URL.format(r["id"]), "Days silent": (now - r["updated_at"]).days,
                                    "What happened": r["title"], **where_and_owner(r)} for r in view.stale]),
                     hide_index=True, width="stretch", height=420,
                     column_config={"Open": SIGNAL_LINK, "Days silent": st.column_config.NumberColumn(width=90),
                                    "What happened": st.column_config.TextColumn(width=420)})

with st.container(border=True):
    st.markdown(f"#### Team backlogs: now against {BACKLOG_WEEKS} weeks ago")
    st.caption("Backlog: owned signals not yet fixed or closed. A team whose backlog grows while it fixes or closes "
               "nothing is a black hole.")
    st.dataframe(pd.DataFrame([{"Team": ctx.journey.team_name(b.team_id) or f"team #{b.team_id}",
                                "Backlog now": b.open_now, f"{BACKLOG_WEEKS} weeks ago": b.open_before,
                                "Change": b.open_now - b.open_before, f"Fixed or closed in {BACKLOG_WEEKS} weeks": b.closed,
                                "Black hole": "⚠ growing, nothing closed" if b.black_hole else ""} for b in view.backlogs]),
                 hide_index=True, width="stretch")
