"""Chart builders for friction: heatmaps (Altair) and the fit-score radar (Plotly). Pure: data in, figure out."""

import altair as alt
import pandas as pd
import plotly.graph_objects as go

from components.common.charts import FONT_SIZE, PALETTE, THIS_WEEK

CELL_SELECTION = "cell"
WEEK_LABEL = "timeFormat(toDate(datum.value + 'T00:00:00'), '%d %b')"  # ISO week start → "02 Nov"
# Light to the theme's primary blue: the same hue as every other chart in the app.
HEAT_RANGE = ["#f1f5fa", "#a9c4de", "#1f4e79"]


def _rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def relative_luminance(rgb: tuple[float, ...]) -> float:
    """WCAG relative luminance."""
    linear = [v / 255 / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def cell_colour(value: float, top: float) -> tuple[float, ...]:
    """The colour the scale gives a value: HEAT_RANGE interpolated in RGB from 0 through top/2 to top."""
    t = min(max(value / top, 0.0), 1.0) if top > 0 else 0.0
    low, high, f = (
        (HEAT_RANGE[0], HEAT_RANGE[1], 2 * t) if t <= 0.5 else (HEAT_RANGE[1], HEAT_RANGE[2], 2 * t - 1)
    )
    return tuple(a + (b - a) * f for a, b in zip(_rgb(low), _rgb(high), strict=True))


def label_colour(value: float, top: float) -> str:
    """Black or white, whichever contrasts more with the cell: one of them is always at least 4.58:1 (WCAG AA)."""
    luminance = relative_luminance(cell_colour(value, top))
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def heatmap(
    rows: list[dict],
    *,
    x_title: str,
    y_title: str,
    value_title: str,
    x_order: list[str] | None = None,
    y_order: list[str] | None = None,
    font_size: int = FONT_SIZE,
    x_label_angle: int = 0,
) -> alt.Chart:
    """One rect per cell, coloured by value; clicking a cell selects its (x, y) for the drill-down.

    Each cell's number is black or white by the cell's own colour, so it is readable on every shade.
    """
    data = pd.DataFrame(rows, columns=["x", "y", "value", "signals"])
    top = float(data["value"].max()) if len(data) else 0.0
    data["label_colour"] = [label_colour(v, top) for v in data["value"]]
    select = alt.selection_point(name=CELL_SELECTION, fields=["x", "y"], on="click", clear="dblclick")
    base = alt.Chart(data).encode(
        x=alt.X(
            "x:O",
            title=x_title,
            sort=x_order,
            axis=alt.Axis(
                labelAngle=x_label_angle,
                # Angled labels run side by side like slats and never touch, though their boxes overlap:
                # let Vega drop colliding labels only when they are level.
                labelOverlap=x_label_angle == 0,
                labelLimit=240,
                labelExpr=WEEK_LABEL if x_title == "week" else "datum.label",
            ),
        ),
        # No y title: the card's heading names both axes, and at room sizes Vega set it over the labels.
        y=alt.Y("y:O", title=None, sort=y_order, axis=alt.Axis(labelLimit=320)),
    )
    cells = (
        base.mark_rect(stroke="white", strokeWidth=2)
        .encode(
            color=alt.Color(
                "value:Q",
                title=value_title,
                # Explicit stops and RGB interpolation: the colour cell_colour() computes for the labels.
                scale=alt.Scale(domain=[0, top / 2, top or 1], range=HEAT_RANGE, interpolate="rgb"),
            ),
            opacity=alt.condition(select, alt.value(1.0), alt.value(0.35)),
            tooltip=[
                alt.Tooltip("y:O", title=y_title),
                alt.Tooltip("x:O", title=x_title),
                alt.Tooltip("value:Q", title=value_title, format=",.0f"),
                alt.Tooltip("signals:Q", format=","),
            ],
        )
        .add_params(select)
    )
    labels = base.mark_text(fontSize=font_size).encode(
        text=alt.Text("value:Q", format=",.0f" if value_title.startswith("Sig") else "~s"),
        fill=alt.Fill("label_colour:N", scale=None),  # its own channel: no scale shared with the cells
    )
    return (
        alt.layer(cells, labels)
        # A fixed row height: every label readable, any number of rows.
        .properties(height=alt.Step(round(font_size * 2.7)))
        .configure_axis(
            labelFontSize=font_size, titleFontSize=font_size, labelColor="#1b1b1b", titleColor="#1b1b1b"
        )
        .configure_legend(
            labelFontSize=font_size, titleFontSize=font_size, labelColor="#1b1b1b", titleColor="#1b1b1b"
        )
    )


def fit_radar(scores: dict[str, int | None]) -> go.Figure:
    """The six components' fit scores on one radar; a component without data sits at 0 and says so."""
    names = list(scores)
    labels = [name.replace(" & ", " &<br>") for name in names]  # two short lines fit beside the circle
    values = [scores[name] or 0 for name in names]
    hover = [f"{name}: {scores[name] if scores[name] is not None else 'no data yet'}" for name in names]
    figure = go.Figure(
        go.Scatterpolar(
            r=[*values, values[0]],
            theta=[*labels, labels[0]],
            fill="toself",
            name="OS fit score",
            line={"color": PALETTE[THIS_WEEK], "width": 3},
            fillcolor="rgba(31, 78, 121, 0.25)",
            hovertext=[*hover, hover[0]],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        polar={
            "radialaxis": {"range": [0, 100], "tickvals": [25, 50, 75, 100], "tickfont": {"size": 12}},
            "angularaxis": {"tickfont": {"size": 15}},
        },
        showlegend=False,
        height=460,
        margin={"l": 110, "r": 110, "t": 40, "b": 40},
    )
    return figure
