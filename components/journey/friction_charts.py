"""Chart builders for friction: heatmaps (Altair) and the fit-score radar (Plotly). Pure: data in, figure out."""

import altair as alt
import pandas as pd
import plotly.graph_objects as go

from components.common.charts import FONT_SIZE, PALETTE, THIS_WEEK

CELL_SELECTION = "cell"
WEEK_LABEL = "timeFormat(toDate(datum.value + 'T00:00:00'), '%d %b')"  # ISO week start → "02 Nov"
# Light to the theme's primary blue: the same hue as every other chart in the app.
HEAT_RANGE = ["#f1f5fa", "#a9c4de", "#1f4e79"]


def heatmap(
    rows: list[dict],
    *,
    x_title: str,
    y_title: str,
    value_title: str,
    x_order: list[str] | None = None,
    y_order: list[str] | None = None,
) -> alt.Chart:
    """One rect per cell, coloured by value; clicking a cell selects its (x, y) for the drill-down."""
    data = pd.DataFrame(rows, columns=["x", "y", "value", "signals"])
    select = alt.selection_point(name=CELL_SELECTION, fields=["x", "y"], on="click", clear="dblclick")
    base = alt.Chart(data).encode(
        x=alt.X(
            "x:O",
            title=x_title,
            sort=x_order,
            axis=alt.Axis(
                labelAngle=0, labelLimit=240, labelExpr=WEEK_LABEL if x_title == "week" else "datum.label"
            ),
        ),
        y=alt.Y("y:O", title=y_title, sort=y_order, axis=alt.Axis(labelLimit=320)),
    )
    cells = (
        base.mark_rect(stroke="white", strokeWidth=2)
        .encode(
            color=alt.Color("value:Q", title=value_title, scale=alt.Scale(range=HEAT_RANGE)),
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
    dark_above = float(data["value"].max()) * 0.55 if len(data) else 0.0  # white text on dark cells
    labels = base.mark_text(fontSize=FONT_SIZE - 1).encode(
        text=alt.Text("value:Q", format=",.0f" if value_title.startswith("Sig") else "~s"),
        color=alt.condition(alt.datum.value > dark_above, alt.value("white"), alt.value("#1b1b1b")),
    )
    return (
        alt.layer(cells, labels)
        .properties(height=alt.Step(38))  # a fixed row height: every label readable, any number of rows
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
        .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
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
