"""Council step 1, the pulse: new signals since the last council, where they landed, biggest movers, routing, fixes
shipped, and the CX drivers of the new signals."""

from datetime import datetime

import pandas as pd
import streamlit as st

from components.common.charts import FONT_SIZE
from components.common.page import PageContext
from components.common.presentation_style import ROOM_CHART_FONT_PX, ROOM_LABEL_ANGLE, presenting
from components.council.data import CouncilState, load_pulse
from components.journey.friction_charts import heatmap
from components.kpis.driver_data import load_driver_view
from components.kpis.driver_panels import driver_cards
from cxos.council.pulse import Pulse
from cxos.journey.friction import Weight, rollup
from cxos.kpis import headline
from cxos.vocabulary import Component, label


def pulse_line(pulse: Pulse) -> str:
    """One sentence for the minutes."""
    return (
        f"{pulse.new_signals:,} new signals since the last council ({pulse.new_signals - pulse.new_before:+,} on the "
        f"period before), routing accuracy {headline.percent(pulse.routing.accuracy)} on "
        f"{pulse.routing.routed:,} first routes ({headline.ROUTING.text(pulse.today)}), "
        f"{pulse.fixes_shipped:,} fixes shipped ({headline.WEEK.text(pulse.today)})."
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
        "New since the last council",
        f"{pulse.new_signals:,}",
        delta=pulse.new_signals - pulse.new_before,
        delta_color="inverse",
        border=True,
    )
    accuracy.metric(
        headline.ROUTING_ACCURACY.label,
        headline.percent(pulse.routing.accuracy),
        border=True,
        help=headline.ROUTING_ACCURACY.caption(pulse.today) + ".",
    )
    shipped.metric(
        headline.FIXES_SHIPPED.label,
        f"{pulse.fixes_shipped:,}",
        border=True,
        help=headline.FIXES_SHIPPED.caption(pulse.today) + ".",
    )
    st.caption(
        f"{headline.ROUTING_ACCURACY.label}: {headline.ROUTING.text(pulse.today)}; "
        f"{headline.FIXES_SHIPPED.label.lower()}: {headline.WEEK.text(pulse.today)} — the same figures as on Home."
    )
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
    # What the new signals felt like: the driver mix and its trend (detected or ticked), room-sized when presenting.
    driver_cards(load_driver_view(state.since, now, ()), room=presenting())
