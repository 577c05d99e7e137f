"""Council step 1, the pulse: new signals since the last council, where they landed, biggest movers, routing, fixes shipped."""

from datetime import datetime

import pandas as pd
import streamlit as st

from components.common.charts import FONT_SIZE
from components.common.page import PageContext
from components.common.presentation_style import ROOM_CHART_FONT_PX, ROOM_LABEL_ANGLE, presenting
from components.council.data import CouncilState, load_pulse
from components.journey.friction_charts import heatmap
from cxos.council.pulse import Pulse
from cxos.journey.friction import Weight, rollup
from cxos.vocabulary import Component, label


def pulse_line(pulse: Pulse) -> str:
    """One sentence for the minutes."""
    accuracy = "—" if pulse.routing.accuracy is None else f"{pulse.routing.accuracy:.0%}"
    return (
        f"{pulse.new_signals:,} new signals ({pulse.new_signals - pulse.new_before:+,} on the period before), "
        f"routing accuracy {accuracy} on {pulse.routing.routed:,} first routes, {pulse.fixes_shipped:,} fixes shipped."
    )


def pulse_step(ctx: PageContext, state: CouncilState, now: datetime, changed: int) -> None:
    pulse = load_pulse(state.since, now, changed)
    days = max(1, round((now - state.since).total_seconds() / 86_400))
    st.caption(
        f"Since the last council: {state.since:%a %d %b %H:%M} UTC, {days} days; compared with the "
        f"{days} days before."
    )
    new, accuracy, shipped = st.columns(3)
    new.metric(
        "New signals",
        f"{pulse.new_signals:,}",
        delta=pulse.new_signals - pulse.new_before,
        delta_color="inverse",
        border=True,
    )
    accuracy.metric(
        "Routing accuracy",
        "—" if pulse.routing.accuracy is None else f"{pulse.routing.accuracy:.0%}",
        border=True,
        help="Share of signals first routed since the last council whose owner nobody changed.",
    )
    shipped.metric("Fixes shipped", f"{pulse.fixes_shipped:,}", border=True)
    where, movers = st.columns([3, 2], gap="large")
    with where.container(border=True):
        st.markdown("#### Where it landed: stage × component")
        rows = rollup(pulse.cells, list(ctx.journey.touchpoints), "stage_component", Weight.COUNT)
        for row in rows:
            row["y"] = label(Component, row["y"])
        if rows:
            stages, room = [name for _, name in ctx.journey.stages], presenting()
            st.altair_chart(
                heatmap(
                    rows,
                    x_title="stage",
                    y_title="component",
                    value_title="Signals",
                    x_order=stages,
                    font_size=ROOM_CHART_FONT_PX if room else FONT_SIZE,
                    x_label_angle=ROOM_LABEL_ANGLE if room else 0,  # room-sized stage names fit only angled
                ),
                width="stretch",
            )
        else:
            st.info("No new signals since the last council.")
    with movers.container(border=True):
        st.markdown("#### Biggest movers")
        st.caption("Touchpoints with the largest rise against the period before.")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Touchpoint": ctx.journey.where(m.touchpoint_id),
                        "Now": m.now,
                        "Before": m.before,
                        "Rise": f"+{m.rise}",
                    }
                    for m in pulse.movers
                ],
                columns=["Touchpoint", "Now", "Before", "Rise"],
            ),
            hide_index=True,
            width="stretch",
            column_config={"Touchpoint": st.column_config.TextColumn(width=340)},
        )
