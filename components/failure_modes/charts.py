"""Chart builders for failure modes: pure functions from figures to an Altair chart (testable without a browser)."""

from datetime import datetime, timedelta

import altair as alt
import pandas as pd

from components.common.charts import FONT_SIZE, PALETTE, THIS_WEEK


def weekly_signals(weekly: tuple[int, ...], *, now: datetime, height: int = 200) -> alt.Chart:
    """Signals per rolling week (oldest first, the last week ending `now`) as bars, the current week darkest."""
    starts = [now - timedelta(days=7 * (len(weekly) - week)) for week in range(len(weekly))]
    data = pd.DataFrame(
        {
            "week": [f"{start:%d %b}" for start in starts],
            "signals": list(weekly),
            "current": [week == len(weekly) - 1 for week in range(len(weekly))],
        }
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("week:O", sort=None, title="week starting", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("signals:Q", title="signals", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.condition("datum.current", alt.value(PALETTE[THIS_WEEK]), alt.value("#a9c4de")),
            tooltip=["week:O", "signals:Q"],
        )
        .properties(height=height)
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
    )
