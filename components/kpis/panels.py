"""KPI page pieces: KPI tiles with their definitions, the KPI table export, cost settings and the metrics import."""

import csv
import io

import pandas as pd
import streamlit as st

from components.common.data import load_setting_versions
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version, setting_kind
from components.common.writes import run_write
from components.kpis.data import KpiView
from cxos.errors import CxosError, ValidationFailed
from cxos.inputs import text_file
from cxos.kpis import headline
from cxos.kpis.digest import hours_text
from cxos.kpis.figures import COST_DEFAULTS, COST_LABELS, DEFINITIONS, GARTNER
from cxos.kpis.metrics import METRICS, import_metrics
from cxos.signals.export import neutralise
from cxos.store.settings import write_settings


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def kpi_rows(view: KpiView) -> list[dict[str, str]]:
    """Every headline KPI as (name, value, detail, definition) — the tiles and the CSV export share it."""
    last_deflection = view.deflection[-1] if view.deflection else None
    last_csat = view.csat[-1] if view.csat else None
    csat_change = view.csat[-1][1] - view.csat[-2][1] if len(view.csat) > 1 else None
    r = view.recurrence
    return [
        {
            "kpi": headline.ROUTING_ACCURACY.label,
            "value": headline.percent(view.routing_accuracy),
            "key": "routing_accuracy",
            "detail": f"{view.kept:,} of {view.routed:,} first routes kept",
        },
        {
            "kpi": "Time to route (median)",
            "key": "time_to_route",
            "value": hours_text(view.time_to_route_h),
            "detail": "logged → first owner",
        },
        {
            "kpi": "Time to fix (median)",
            "key": "time_to_fix",
            "value": "—" if view.time_to_fix_d is None else f"{view.time_to_fix_d:.1f} days",
            "detail": "logged → fixed",
        },
        {
            "kpi": "Loop-closure rate",
            "value": _pct(view.loop_closure_rate),
            "key": "loop_closure",
            "detail": f"{view.loops_closed:,} of {view.loops_due:,} fixed signals; notices {view.notices_sent} sent of "
            f"{view.notices_drafted}",
        },
        {
            "kpi": "Recurrence reduction",
            "value": _pct(r.reduction),
            "key": "recurrence_reduction",
            "detail": f"{r.materially_less} of {r.judged} judged fixes materially less",
        },
        {
            "kpi": "Deflection (latest month)",
            "key": "deflection",
            "value": "—" if last_deflection is None else f"{last_deflection[1]:,.0f}",
            "detail": "no imported figures"
            if last_deflection is None
            else f"{last_deflection[0]:%b %Y}, "
            + (
                "first month" if last_deflection[2] is None else f"{last_deflection[2]:+.0%} month over month"
            ),
        },
        {
            "kpi": "CSAT (latest month)",
            "key": "csat",
            "value": "—" if last_csat is None else f"{last_csat[1]:.1f}%",
            "detail": "no imported figures"
            if last_csat is None
            else f"{last_csat[0]:%b %Y}"
            + ("" if csat_change is None else f", {csat_change:+.1f} points on the month before"),
        },
        {
            "kpi": "Cost saved",
            "value": f"${view.cost_saved:,.0f}",
            "key": "cost_saved",
            "detail": f"{view.deflected:,.0f} deflected, {r.avoided:,.0f} recurrences avoided",
        },
        {
            "kpi": "OS fit score (now)",
            "value": "—" if view.fit_score is None else f"{view.fit_score} / 100",
            "key": "fit_score",
            "detail": "history starts now",
        },
    ]


def kpi_tiles(view: KpiView) -> None:
    rows = kpi_rows(view)
    for start in range(0, len(rows), 3):
        for column, row in zip(st.columns(3), rows[start : start + 3], strict=False):
            with column.container(border=True):
                st.metric(row["kpi"], row["value"], help=DEFINITIONS[row["key"]])
                st.caption(md_escape(row["detail"]))
                st.caption(f"**Definition.** {DEFINITIONS[row['key']]}")


def kpi_csv(view: KpiView, *, period: str, team: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["kpi", "value", "detail", "definition", "period", "team"])
    writer.writeheader()
    for row in kpi_rows(view):
        writer.writerow(
            {
                k: neutralise(v)
                for k, v in {
                    "kpi": row["kpi"],
                    "value": row["value"],
                    "detail": row["detail"],
                    "definition": DEFINITIONS[row["key"]],
                    "period": period,
                    "team": team,
                }.items()
            }
        )
    return out.getvalue()


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def recurrence_table(view: KpiView) -> None:
    fixes = view.recurrence.fixes
    if not fixes:
        st.info("No fix shipped in this range.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Fix": _short(f"#{r.fix_id} {view.fix_titles.get(r.fix_id, '')}"),
                    "Shipped": r.shipped_at.date(),
                    "Verdict": r.verdict,
                    "Before": round(r.rate_before, 2),
                    "After": round(r.rate_after, 2),
                    "Change": None if r.change is None else f"{r.change:+.0%}",
                }
                for r in fixes
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    units = sorted({r.rate_unit for r in fixes})
    st.caption(
        f"Before and after: {' or '.join(units)}, over {fixes[0].weeks_before} weeks each side at most."
    )


def cost_form(ctx: PageContext, view: KpiView) -> None:
    st.caption(GARTNER)
    current = {
        "cost_live_contact": view.costs.live_contact,
        "cost_self_service_contact": view.costs.self_service_contact,
        "cost_per_ticket": view.costs.per_ticket,
    }
    allowed = ctx.actor.can("manage_settings")
    stored = load_setting_versions(tuple(COST_DEFAULTS))
    # The versions shown when the page first drew the costs: someone else's save meanwhile is not overwritten.
    seen = {key: seen_version(setting_kind(key), 0, stored[key]) for key in COST_DEFAULTS}
    with st.form("kpi_costs"):
        values = {
            key: st.number_input(
                COST_LABELS[key],
                min_value=0.0,
                max_value=10_000.0,
                value=float(current[key]),
                step=0.01,
                format="%.2f",
                disabled=not allowed,
            )
            for key in COST_DEFAULTS
        }
        if st.form_submit_button("Save the costs", disabled=not allowed):
            run_write(
                lambda: write_settings(
                    ctx.store,
                    values={key: (f"{value:.2f}", seen[key]) for key, value in values.items()},
                    actor=ctx.actor,
                ),
                done="Costs saved.",
                rows=[(setting_kind(key), 0) for key in COST_DEFAULTS],
            )
    if not allowed:
        st.caption("Changing the costs needs the admin role.")


def metrics_import_form(ctx: PageContext) -> None:
    st.caption(
        "A CSV with the columns period (YYYY-MM), metric, value. Metrics: "
        + "; ".join(f"`{name}` {what}" for name, what in METRICS.items())
        + ". A month already imported is replaced. If any row is wrong, nothing is stored."
    )
    if not ctx.actor.can("import_metrics"):
        st.caption("Importing metrics needs the council role.")
        return
    upload = st.file_uploader("Metrics CSV", type=["csv"], key="kpi_metrics_file")
    if upload is not None and st.button("Import the metrics", type="primary", key="kpi_metrics_import"):
        run_write(
            lambda: import_metrics(
                ctx.store, text=text_file(upload.getvalue(), name=upload.name), actor=ctx.actor
            ),
            done=lambda count: f"{count} figures imported.",
            on_refusal=_metrics_refused,
        )


def _metrics_refused(refused: CxosError) -> None:
    if isinstance(refused, ValidationFailed):
        st.error("Nothing was imported. Fix these rows and try again:", icon=":material/block:")
        st.dataframe(
            pd.DataFrame([{"Where": where, "Problem": why} for where, why in refused.problems.items()]),
            hide_index=True,
            width="stretch",
        )
    else:
        st.error(md_escape(refused), icon=":material/block:")
