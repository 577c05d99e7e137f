"""The CX-driver cards shared by the council's Pulse, the KPI page and the heatmaps: mix, trend, by stage, scores."""

import streamlit as st

from components.common.charts import FONT_SIZE
from components.common.presentation_style import ROOM_CHART_FONT_PX, ROOM_LABEL_ANGLE
from components.common.safe import md_escape
from components.journey.friction_charts import heatmap
from components.kpis.driver_charts import driver_mix_bars, driver_trend_lines, score_bars
from components.kpis.driver_data import DriverView
from cxos.kpis.cx_score import GROUPINGS, formula_text
from cxos.vocabulary import DRIVERS

GROUPING_LABELS = {
    "touchpoint": "Touchpoint",
    "stage": "Stage",
    "team": "Owner team",
    "failure_mode": "Failure mode",
}
assert set(GROUPING_LABELS) == set(GROUPINGS)
MIX_HOW = (
    "Signals created in the range with each driver, set by a person or detected from the text (the phrases "
    "are on each signal). A signal can have several. Flagged for review: high effort, strong emotion or a "
    "poor answer (AI or person)."
)


def driver_cards(view: DriverView, *, room: bool = False) -> None:
    """Two cards side by side: the driver mix as bars, and its weekly trend."""
    font = ROOM_CHART_FONT_PX if room else FONT_SIZE
    mix_col, trend_col = st.columns([2, 3], gap="large")
    with mix_col.container(border=True):
        st.markdown("#### CX driver mix")
        signals, flagged = view.mix.get("signals", 0), view.mix.get("flagged", 0)
        if not signals:
            st.info("No signals in this range.")
        else:
            st.altair_chart(driver_mix_bars(view.mix, font_size=font), width="stretch")
            share = flagged / signals
            st.caption(f"{signals:,} signals · {flagged:,} flagged for review ({share:.0%}). {MIX_HOW}")
    with trend_col.container(border=True):
        st.markdown("#### CX drivers per week")
        if any(n for _, _, n in view.trend):
            st.altair_chart(
                driver_trend_lines(view.trend, font_size=font, label_angle=ROOM_LABEL_ANGLE if room else 0),
                width="stretch",
            )
            st.caption(
                "Signals with each driver per week (Monday to Sunday, UTC); the first and last weeks may be partial."
            )
        else:
            st.info("No signal in this range has a driver.")


def driver_stage_card(view: DriverView, stage_order: list[str], *, room: bool = False) -> None:
    """Drivers × journey stage as a heatmap: where each kind of friction lands."""
    with st.container(border=True):
        st.markdown("#### CX drivers × stage")
        rows = [
            {"x": stage, "y": DRIVERS[driver], "value": n, "signals": n}
            for stage, _, driver, n in view.by_stage
        ]
        if not any(row["value"] for row in rows):
            st.info("No signal in this window has a driver.")
            return
        st.altair_chart(
            heatmap(
                rows,
                x_title="stage",
                y_title="driver",
                value_title="Signals",
                x_order=stage_order,
                y_order=list(DRIVERS.values()),
                font_size=ROOM_CHART_FONT_PX if room else FONT_SIZE,
                x_label_angle=ROOM_LABEL_ANGLE if room else 0,
            ),
            width="stretch",
            key="drivers_by_stage",
        )
        st.caption("Signals created in the window with each driver, by the stage of their touchpoint.")


def score_card(view: DriverView) -> None:
    """Mean CX score per touchpoint, stage, team or failure mode, worst first (the formula: README, CX score)."""
    with st.container(border=True):
        st.markdown("#### CX score, worst first")
        tabs = st.tabs([GROUPING_LABELS[by] for by in GROUPINGS])
        for tab, by in zip(tabs, GROUPINGS, strict=True):
            with tab:
                averages = view.scores.get(by, [])
                if averages:
                    st.altair_chart(score_bars(averages[:15]), width="stretch")
                else:
                    st.info(f"No signal in the range has a {GROUPING_LABELS[by].lower()}.")
        st.caption(
            f"**Definition.** A signal's CX score is {md_escape(formula_text())}. Shown: the mean over the signals created "
            "in the range, the 15 worst groups (number of signals in brackets)."
        )
