"""KPIs for managers: flow, CX drivers and scores, routing, time to route and fix, loops, recurrence, deflection, CSAT, cost saved, fit score."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from components.common import pages
from components.common.data import figures_day, get_store, glance_now
from components.common.page import setup_page
from components.common.safe import md_escape
from components.kpis import charts as kpi_charts
from components.kpis.data import load_kpis
from components.kpis.driver_data import load_driver_view
from components.kpis.driver_panels import driver_cards, score_card
from components.kpis.panels import cost_form, kpi_csv, kpi_tiles, metrics_import_form, recurrence_table
from cxos.kpis import headline
from cxos.kpis.digest import weekly_digest
from cxos.kpis.figures import DEFINITIONS
from cxos.signals.queries import start_of

ctx = setup_page(pages.KPIS)
now, day = glance_now(), figures_day()

title, dates, team_col = st.columns([3, 2, 2], vertical_alignment="bottom")
title.title("KPIs")
picked = dates.date_input(
    "Date range",
    value=(headline.ROUTING.start(day).date(), day),  # the shared figures' window, so they agree with home
    max_value=day,
    key="kpi_range",
    format="YYYY-MM-DD",
)
teams = dict(ctx.journey.teams)
team_id = team_col.selectbox(
    "Team", [None, *teams], format_func=lambda t: teams.get(t, "All teams"), key="kpi_team"
)
if not isinstance(picked, tuple) or len(picked) != 2:
    st.info("Pick the end of the date range.")
    st.stop()
start, end = start_of(picked[0]), min(start_of(picked[1]) + timedelta(days=1), now)
view = load_kpis(start, end, team_id, now)
team_name = teams.get(team_id, "All teams")
st.caption(
    f"{picked[0]:%d %b %Y} – {picked[1]:%d %b %Y} · {md_escape(team_name)} · {view.signals:,} signals. "
    "Every figure says how it is computed; hover the ? for the same text."
)

kpi_tiles(view)

drivers_view = load_driver_view(start, end, (team_id,) if team_id is not None else ())
driver_cards(drivers_view)
score_card(drivers_view)

by_source, by_stage = st.columns(2, gap="large")
source_chart = kpi_charts.weekly_stacked(view.weekly_by_source, category="source")
stage_chart = kpi_charts.weekly_stacked(view.weekly_by_stage, category="stage")
with by_source.container(border=True):
    st.markdown("#### Signals per week by source")
    st.altair_chart(source_chart, width="stretch")
with by_stage.container(border=True):
    st.markdown("#### Signals per week by stage")
    st.altair_chart(stage_chart, width="stretch")
st.caption(f"**Definition.** {DEFINITIONS['signals_per_week']}")

deflection, csat = st.columns(2, gap="large")
with deflection.container(border=True):
    st.markdown("#### Deflection month over month")
    if view.deflection:
        st.altair_chart(
            kpi_charts.monthly_line(
                [(m, v) for m, v, _ in view.deflection], title="self-service resolutions"
            ),
            width="stretch",
        )
    else:
        st.info("No deflection figures for these months: import them below.")
    st.caption(f"**Definition.** {DEFINITIONS['deflection']}")
with csat.container(border=True):
    st.markdown("#### CSAT trend")
    if view.csat:
        st.altair_chart(kpi_charts.monthly_line(view.csat, title="CSAT", percent=True), width="stretch")
    else:
        st.info("No CSAT figures for these months: import them below.")
    st.caption(f"**Definition.** {DEFINITIONS['csat']}")

fixes, fit = st.columns([3, 2], gap="large")
with fixes.container(border=True):
    st.markdown("#### Recurrence before vs after, fixes shipped in the range")
    recurrence_table(view)
    st.caption(f"**Definition.** {DEFINITIONS['recurrence_reduction']}")
with fit.container(border=True):
    st.markdown("#### OS fit score by component (now)")
    st.dataframe(
        pd.DataFrame([{"Component": name, "Score": score} for name, score in view.fit_components]),
        hide_index=True,
        width="stretch",
        column_config={"Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d")},
    )
    st.caption(f"**Definition.** {DEFINITIONS['fit_score']}")

with st.container(border=True):
    st.markdown("#### Exports")
    period = f"{picked[0]:%Y-%m-%d} to {picked[1]:%Y-%m-%d}"
    table, digest, source_png, stage_png = st.columns(4)
    table.download_button(
        "KPIs as CSV",
        kpi_csv(view, period=period, team=team_name),
        "cxos-kpis.csv",
        "text/csv",
        icon=":material/download:",
    )

    def _digest() -> str:
        with get_store().read() as session:
            return weekly_digest(session, now=now)

    digest.download_button(
        "Weekly digest (Markdown)",
        _digest,
        f"cxos-digest-{now:%Y-%m-%d}.md",
        "text/markdown",
        icon=":material/forward_to_inbox:",
    )
    source_png.download_button(
        "Chart: by source (PNG)",
        lambda: kpi_charts.chart_png(source_chart),
        "signals-by-source.png",
        "image/png",
        icon=":material/image:",
    )
    stage_png.download_button(
        "Chart: by stage (PNG)",
        lambda: kpi_charts.chart_png(stage_chart),
        "signals-by-stage.png",
        "image/png",
        icon=":material/image:",
    )

costs, metrics = st.columns(2, gap="large")
with costs.expander("Costs used for 'cost saved'"):
    cost_form(ctx, view)
with metrics.expander("Import monthly metrics (ticket volume, deflection, CSAT)"):
    metrics_import_form(ctx)
