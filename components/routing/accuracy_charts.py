"""Chart builder for routing accuracy: a pure function from weekly figures to an Altair chart."""

import altair as alt
import pandas as pd

from components.common.charts import FONT_SIZE, PALETTE, THIS_WEEK
from cxos.routing.accuracy import POOR_ACCURACY

TARGET_COLOUR = "#b03a2e"


def weekly_accuracy(rows: list[dict]) -> alt.LayerChart:
    """Accuracy of each ISO week's first routes as a line over the routed volume, with the 60% line for reference."""
    data = pd.DataFrame(rows, columns=["week", "iso_week", "routed", "kept", "accuracy"])
    data["week"] = pd.to_datetime(data["week"]).dt.strftime("%d %b")
    data["accuracy"] = data["accuracy"].astype(float)
    base = alt.Chart(data).encode(
        x=alt.X("week:O", sort=None, title="week starting (ISO week)", axis=alt.Axis(labelAngle=0))
    )
    volume = base.mark_bar(color=PALETTE["7 days before"], opacity=0.7).encode(
        y=alt.Y(
            "routed:Q", title="signals routed", axis=alt.Axis(tickMinStep=1, format="d", titleColor="#5b7fa3")
        ),
        tooltip=["iso_week:N", "routed:Q", "kept:Q", alt.Tooltip("accuracy:Q", format=".0%")],
    )
    accuracy = base.mark_line(point=True, color=PALETTE[THIS_WEEK], strokeWidth=3).encode(
        y=alt.Y(
            "accuracy:Q",
            title="first owner kept",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%", titleColor=PALETTE[THIS_WEEK]),
        ),
        tooltip=["iso_week:N", "routed:Q", "kept:Q", alt.Tooltip("accuracy:Q", format=".0%")],
    )
    floor = (
        alt.Chart(pd.DataFrame({"y": [POOR_ACCURACY]}))
        .mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4])
        .encode(y=alt.Y("y:Q", scale=alt.Scale(domain=[0, 1])))
    )
    return (
        alt.layer(volume, alt.layer(accuracy, floor))
        .resolve_scale(y="independent")
        .properties(height=280)
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
    )
