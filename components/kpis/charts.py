"""Chart builders for fixes and KPIs: recurrence around a ship date, weekly signals, monthly metrics (pure, no Streamlit)."""

from datetime import date, datetime, timedelta

import altair as alt
import pandas as pd

from components.common.charts import FONT_SIZE

BEFORE, AFTER = "#a9c4de", "#1f4e79"
SHIP = "#c0392b"


def recurrence_chart(
    weeks: list[tuple[datetime, str, float]],
    *,
    shipped_at: datetime,
    unit: str,
    rate_before: float,
    rate_after: float,
) -> alt.Chart:
    """Weekly bars before (light) and after (dark) the fix, the ship date as a red rule, each side's mean as a line."""
    data = pd.DataFrame(
        [
            {
                "week": w.replace(tzinfo=None),
                "end": w.replace(tzinfo=None) + timedelta(days=6),
                "side": side,
                "rate": round(rate, 2),
            }
            for w, side, rate in weeks
        ],
        columns=["week", "end", "side", "rate"],
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "week:T", title="weeks before and after the fix", axis=alt.Axis(format="%d %b", labelAngle=0)
            ),
            x2="end:T",
            y=alt.Y("rate:Q", title=unit, scale=alt.Scale(zero=True)),
            y2=alt.datum(0),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["before", "after"], range=[BEFORE, AFTER]),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=[alt.Tooltip("week:T", format="%d %b %Y"), "side:N", alt.Tooltip("rate:Q", title=unit)],
        )
    )
    shipped = shipped_at.replace(tzinfo=None)
    first = min((w.replace(tzinfo=None) for w, _, _ in weeks), default=shipped)
    last = max((w.replace(tzinfo=None) + timedelta(days=7) for w, _, _ in weeks), default=shipped)
    ship = pd.DataFrame([{"at": shipped, "label": "fix shipped"}])
    rule = alt.Chart(ship).mark_rule(color=SHIP, strokeWidth=3).encode(x="at:T")
    label = (
        alt.Chart(ship)
        .mark_text(color=SHIP, align="left", dx=6, dy=-6, fontSize=FONT_SIZE, baseline="top")
        .encode(x="at:T", y=alt.value(0), text="label:N")
    )
    means = pd.DataFrame(
        [
            {"start": first, "end": shipped, "mean": rate_before, "side": "before"},
            {"start": shipped, "end": last, "mean": rate_after, "side": "after"},
        ]
    )
    mean_lines = (
        alt.Chart(means)
        .mark_rule(strokeDash=[6, 4], strokeWidth=2, color="#333")
        .encode(
            x="start:T",
            x2="end:T",
            y="mean:Q",
            tooltip=["side:N", alt.Tooltip("mean:Q", format=".2f", title="mean")],
        )
    )
    return (
        alt.layer(bars, mean_lines, rule, label)
        .properties(height=260)
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
        .configure_legend(labelFontSize=FONT_SIZE)
    )


def weekly_stacked(rows: list[tuple[date, str, int]], *, category: str) -> alt.Chart:
    """Signals per week, stacked by a category (source or stage)."""
    data = pd.DataFrame(rows, columns=["week", category, "signals"])
    data["week"] = pd.to_datetime(data["week"])
    data["end"] = data["week"] + pd.Timedelta(days=6)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("week:T", title="week starting", axis=alt.Axis(format="%d %b", labelAngle=0)),
            x2="end:T",
            y=alt.Y("sum(signals):Q", title="signals"),
            color=alt.Color(
                f"{category}:N",
                legend=alt.Legend(orient="right", title=None, labelLimit=220),
                scale=alt.Scale(scheme="tableau10"),
            ),
            tooltip=[alt.Tooltip("week:T", format="%d %b %Y"), f"{category}:N", "signals:Q"],
        )
        .properties(height=280)
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
        .configure_legend(labelFontSize=FONT_SIZE)
    )


def monthly_line(series: list[tuple[date, float]], *, title: str, percent: bool = False) -> alt.Chart:
    """One imported metric by month, with points, so two or three months still read."""
    data = pd.DataFrame(series, columns=["month", "value"])
    data["month"] = pd.to_datetime(data["month"])
    axis = alt.Axis(format=".0f") if not percent else alt.Axis(format=".0f", title=f"{title} (%)")
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=80), color=AFTER, strokeWidth=3)
        .encode(
            x=alt.X("yearmonth(month):T", title="month", axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y("value:Q", title=title, axis=axis, scale=alt.Scale(zero=not percent)),
            tooltip=[
                alt.Tooltip("month:T", format="%B %Y"),
                alt.Tooltip("value:Q", format=",.1f", title=title),
            ],
        )
        .properties(height=240)
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
    )


def chart_png(chart: alt.Chart, *, scale: float = 2.0) -> bytes:
    """A PNG of the chart rendered without a browser or network (vl-convert bundles Vega)."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_json(), scale=scale)
