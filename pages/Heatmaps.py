"""Heatmaps: where friction concentrates (stage × component, stage × week, touchpoint × week); click a cell to drill in."""

import streamlit as st

from components.common import pages
from components.common.data import glance_now
from components.common.page import setup_page
from components.common.url_params import (
    ignored,
    replace_url_params,
    set_url_params,
    url_choice,
    url_ids,
    url_text,
)
from components.journey.friction_charts import CELL_SELECTION, heatmap
from components.journey.friction_data import load_cells
from components.journey.heatmap_drilldown import cell_filter, drilldown
from components.kpis.driver_data import load_driver_view
from components.kpis.driver_panels import driver_stage_card
from cxos.journey.friction import VIEWS, Weight, rollup, window_ending
from cxos.vocabulary import COMPONENT_LABELS

VIEW_LABELS = {
    "stage_component": "Stage × component",
    "stage_week": "Stage × week",
    "touchpoint_week": "Touchpoint × week",
}
WINDOWS = {30: "Last 30 days", 90: "Last 90 days", 182: "Last 26 weeks"}
CELL_MAX_CHARS = 300  # "x|y" of two labels

ctx = setup_page(pages.HEATMAPS)

st.title("Friction heatmaps")
url_view = url_choice("view", "Heatmap", {v: v for v in VIEW_LABELS}, default="stage_component")
url_weight = url_choice("weight", "Weigh by", {w.value: w for w in Weight}, default=Weight.COUNT)
url_days = url_choice("days", "Window", {str(d): d for d in WINDOWS}, default=90)
url_teams = url_ids("team", "Owner team", [t for t, _ in ctx.journey.teams])
url_cell = url_text("cell", "Cell", max_chars=CELL_MAX_CHARS)
view_col, weight_col, window_col, team_col = st.columns([4, 4, 2, 3])
view = view_col.segmented_control("Heatmap", list(VIEW_LABELS), format_func=VIEW_LABELS.get, default=url_view)
weight = weight_col.segmented_control(
    "Weigh by", list(Weight), format_func=lambda w: w.label, default=url_weight
)
days = window_col.selectbox(
    "Window", list(WINDOWS), format_func=WINDOWS.get, index=list(WINDOWS).index(url_days)
)
team_ids = tuple(
    team_col.multiselect(
        "Owner team",
        [t for t, _ in ctx.journey.teams],
        format_func=ctx.journey.team_name,
        default=url_teams,
        placeholder="All teams",
    )
)
view, weight = view or "stage_component", Weight(weight or Weight.COUNT)
# A cell belongs to its heatmap: switching the view drops it.
cell = url_cell if view == url_view else ""
wanted = {"view": view, "weight": weight.value, "days": str(days), "team": ",".join(map(str, team_ids))}
replace_url_params({k: v for k, v in (wanted | {"cell": cell}).items() if v})

now = glance_now()
rows = rollup(
    load_cells(now, days, view != "stage_component", team_ids), list(ctx.journey.touchpoints), view, weight
)
for row in rows:  # components read better by name
    row["x"], row["y"] = (
        COMPONENT_LABELS.get(v, v) if isinstance(v, str) else v for v in (row["x"], row["y"])
    )
x_axis, y_axis = VIEWS[view]
stage_order = [name for _, name in ctx.journey.stages]
order = {
    "stage": stage_order,
    "component": list(COMPONENT_LABELS.values()),
    "touchpoint": [tp.label for tp in ctx.journey.touchpoints],
    "week": None,
}

with st.container(border=True):
    st.markdown(f"#### {VIEW_LABELS[view]} · weighted by {weight.label} · {WINDOWS[days].lower()}")
    st.caption(
        "Counted in the database per touchpoint and week. Click a cell to see the signals behind it; "
        "double-click to clear."
    )
    if not rows:
        st.info("No signals in this window.")
    else:
        event = st.altair_chart(
            heatmap(
                rows,
                x_title=x_axis,
                y_title=y_axis,
                value_title=weight.label,
                x_order=order[x_axis],
                y_order=order[y_axis],
            ),
            on_select="rerun",
            selection_mode=CELL_SELECTION,
            key=f"heatmap_{view}",
            width="stretch",
        )
        chosen = (event.selection.get(CELL_SELECTION) or [None])[0] if event else None
        if chosen:
            cell = f"{chosen['x']}|{chosen['y']}"
            set_url_params(cell=cell)

window = window_ending(now, days)  # the same whole-day window as the heatmap above
driver_stage_card(load_driver_view(window.start, window.end, team_ids), stage_order)

drawn = {f"{row['x']}|{row['y']}": (str(row["x"]), str(row["y"])) for row in rows}
if cell and cell not in drawn:
    ignored("Cell", cell, f"no such cell in {VIEW_LABELS[view].lower()} for this window")
elif cell:
    x, y = drawn[cell]
    drilldown(
        f"{y} · {x}", cell_filter(view, x, y, ctx.journey, now=now, days=days, team_ids=team_ids), ctx.journey
    )
