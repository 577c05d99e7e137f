"""Chart builders for handoffs: pure functions from owner spells to an Altair chart (testable without a browser)."""

from datetime import datetime

import altair as alt
import pandas as pd

from components.common.charts import FONT_SIZE


def owner_spells(spells: list[tuple[str, datetime, datetime]]) -> alt.Chart:
    """A signal's owners over time, one bar per spell (owner, start, end), in order."""
    data = pd.DataFrame(spells, columns=["owner", "from", "to"])
    data["days"] = (data["to"] - data["from"]).dt.total_seconds() / 86_400
    return (
        alt.Chart(data)
        .mark_bar(height=22)
        .encode(
            x=alt.X("from:T", title=None),
            x2="to:T",
            y=alt.Y("owner:N", sort=None, title=None),
            color=alt.Color("owner:N", legend=None),
            tooltip=["owner:N", alt.Tooltip("days:Q", format=".1f"), "from:T", "to:T"],
        )
        .properties(height=alt.Step(34))
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelLimit=220)
    )
