"""Fixes & loops: the fix lifecycle per failure mode, each shipped fix's recurrence before vs after, and its loop notices."""

import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.fixes.data import load_fixes
from components.fixes.loop_panels import notices_panel, proof_panel, template_panel
from components.fixes.panels import in_flight_panel, plan_panel
from cxos.fixes.recurrence import MATERIALLY_LESS

ctx = setup_page(pages.FIXES_AND_LOOPS)
now = glance_now()
view = load_fixes(now)

st.title("Fixes & loops")
st.caption(
    "A fix counts when its failure appears materially less, or stops appearing. Then the customers who "
    "reported it hear what changed."
)

flight, overdue, shipped, proven, notices = st.columns(5)
flight.metric("Fixes in flight", len(view.in_flight), border=True, help="Planned or in progress.")
overdue.metric(
    "Overdue or stale",
    sum(r.overdue or r.stale for r in view.in_flight),
    border=True,
    help="Past the due date, or no owner's update for 14 days.",
)
shipped.metric("Shipped", len(view.shipped), border=True, help="Shipped or verified fixes.")
proven.metric(
    "Materially less",
    sum(r.verdict == MATERIALLY_LESS for r in view.recurrence.values()),
    border=True,
    help="Shipped fixes whose failure mode now recurs at most half as often as before.",
)
drafted, sent = sum(s.notices_drafted for s in view.shipped), sum(s.notices_sent for s in view.shipped)
notices.metric(
    "Loop notices sent", f"{sent} of {drafted}", border=True, help="Sent of drafted, across shipped fixes."
)

proof_tab, flight_tab, plan_tab, template_tab = st.tabs(
    ["Shipped: proof & notices", "In flight", "Plan a fix", "Notice template"]
)
with proof_tab:
    if not view.shipped:
        st.info("No fix has shipped yet.")
    else:
        by_id = {s.fix_id: s for s in view.shipped}
        chosen = st.selectbox(
            "Shipped fix",
            list(by_id),
            key="fixes_shipped_pick",
            format_func=lambda i: (
                f"#{i} {by_id[i].title} · {by_id[i].failure_mode} · {view.recurrence[i].verdict}"
            ),
        )
        fix = by_id[chosen]
        proof, loop = st.columns([3, 2], gap="large")
        with proof.container(border=True):
            st.markdown(f"#### Recurrence before vs after · shipped {fix.shipped_at:%d %b %Y}")
            proof_panel(ctx, fix, view.recurrence[fix.fix_id])
        with loop.container(border=True):
            notices_panel(ctx, fix)
with flight_tab:
    in_flight_panel(ctx, view)
with plan_tab:
    plan_panel(ctx, view)
with template_tab:
    template_panel(ctx)
