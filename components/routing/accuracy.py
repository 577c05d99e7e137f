"""Routing accuracy cards: per ISO week (chart), per first decider and per first owner team (tables)."""

import pandas as pd
import streamlit as st

from components.common.data import Journey
from components.common.safe import md_escape
from components.routing.accuracy_charts import weekly_accuracy
from components.routing.rule_list import accuracy_column, decider_label
from cxos.routing.accuracy import POOR_ACCURACY, RoutingAccuracy, weekly_rows


def decider_frame(accuracy: RoutingAccuracy, names: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Routed by": decider_label(key, names),
                "Routed": t.routed,
                "Kept": t.kept,
                "Accuracy": t.accuracy,
                "Flag": "⚠ below 60%" if t.poor and key != "person" else "",
            }
            for key, t in sorted(accuracy.by_decider.items(), key=lambda kv: -kv[1].routed)
        ],
        columns=["Routed by", "Routed", "Kept", "Accuracy", "Flag"],
    )


def team_frame(accuracy: RoutingAccuracy, journey: Journey) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Team": journey.team_name(team_id) or f"team #{team_id}",
                "Routed": t.routed,
                "Kept": t.kept,
                "Accuracy": t.accuracy,
            }
            for team_id, t in sorted(accuracy.by_team.items(), key=lambda kv: -kv[1].routed)
        ],
        columns=["Team", "Routed", "Kept", "Accuracy"],
    )


def accuracy_cards(accuracy: RoutingAccuracy, names: dict[int, str], journey: Journey) -> None:
    with st.container(border=True):
        st.markdown("#### Routing accuracy per ISO week")
        st.caption(
            f"Line: share of the week's first routes never changed since (dashed: the {POOR_ACCURACY:.0%} "
            "floor). Bars: signals first routed that week. Recent weeks have had less time to be corrected."
        )
        st.altair_chart(weekly_accuracy(weekly_rows(accuracy)), width="stretch")
    per_decider, per_team = st.columns(2)
    for column, title, frame in (
        (per_decider, "By who routed first", decider_frame(accuracy, names)),
        (per_team, "By first owner", team_frame(accuracy, journey)),
    ):
        with column.container(border=True):
            st.markdown(f"#### {md_escape(title)}")
            st.dataframe(
                frame,
                hide_index=True,
                width="stretch",
                height=38 + 35 * max(1, len(frame)),
                column_config={"Accuracy": accuracy_column()},
            )
