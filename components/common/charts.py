"""Chart builders: pure functions from aggregated data to an Altair chart (no Streamlit, testable without a browser)."""

import altair as alt
import pandas as pd

THIS_WEEK, LAST_WEEK = "Last 7 days", "7 days before"
PALETTE = {THIS_WEEK: "#1f4e79", LAST_WEEK: "#a9c4de"}
FONT_SIZE = 14  # readable from the back of a meeting room


def week_comparison(
    counts: dict[str, tuple[int, int]], *, category: str, order: list[str] | None = None
) -> alt.Chart:
    """Grouped horizontal bars: each category's signals in the last 7 days beside the 7 days before."""
    rows = [
        {category: key, "window": window, "signals": value}
        for key, (now, before) in counts.items()
        for window, value in ((THIS_WEEK, now), (LAST_WEEK, before))
    ]
    data = pd.DataFrame(rows, columns=[category, "window", "signals"])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=order or "-x", title=None),
            yOffset=alt.YOffset("window:N", sort=[THIS_WEEK, LAST_WEEK]),
            x=alt.X("signals:Q", title="signals", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "window:N",
                scale=alt.Scale(domain=list(PALETTE), range=list(PALETTE.values())),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=[f"{category}:N", "window:N", "signals:Q"],
        )
        # A fixed step per bar (not a fixed chart height) keeps every label readable at any category count.
        .properties(height=alt.Step(16))
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelLimit=220)
        .configure_legend(labelFontSize=FONT_SIZE)
    )


def weekly_trend(weekly: list[tuple[object, int]]) -> alt.Chart:
    """New signals per rolling week as bars, the newest week darkest."""
    data = pd.DataFrame(weekly, columns=["week starting", "signals"])
    data["week"] = pd.to_datetime(data["week starting"]).dt.strftime("%d %b")
    data["current"] = data.index == len(data) - 1
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("week:O", sort=None, title="week starting", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("signals:Q", title="new signals", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.condition(
                "datum.current", alt.value(PALETTE[THIS_WEEK]), alt.value(PALETTE[LAST_WEEK])
            ),
            tooltip=["week:O", "signals:Q"],
        )
        .properties(height=240)
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
    )
