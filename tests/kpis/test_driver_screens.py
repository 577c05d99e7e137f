"""The CX drivers on the screens that decide (AppTest on the demo): the KPI page's mix, trend and scores, the
council Pulse at room size, drivers × stage on the heatmaps, the log's "flagged for review" filter, and the
signal page's drivers with their evidence and its CX score."""

import json

import pyarrow as pa
from sqlalchemy import func
from sqlmodel import select

from components.common import pages
from components.common.charts import FONT_SIZE
from components.common.presentation_style import ROOM_CHART_FONT_PX
from cxos.models import Signal
from cxos.signals.queries import flagged_for_review
from cxos.signals.writes import create_signal
from cxos.store.store import Store
from cxos.vocabulary import DRIVERS
from tests.conftest import COUNCIL
from tests.test_pages import open_page


def _headings(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("#### ")]


def _charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _driver_charts(at) -> list[dict]:
    """The charts whose data names the drivers (the mix, the trend, drivers × stage)."""
    labels = set(DRIVERS.values())
    return [
        spec
        for spec, chart in zip(_charts(at), at.get("vega_lite_chart"), strict=True)
        if labels & {str(row.get("driver", row.get("y"))) for dataset in _datasets(chart) for row in dataset}
    ]


def _datasets(chart) -> list[list[dict]]:
    """Each dataset of a chart element as rows, read from its Arrow bytes."""
    return [pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.proto.datasets]


def test_the_kpi_page_shows_the_driver_mix_its_trend_and_the_cx_scores(demo_db):
    at = open_page(pages.KPIS.path)
    assert not at.exception, [e.value for e in at.exception]
    headings = _headings(at)
    assert {"#### CX driver mix", "#### CX drivers per week", "#### CX score, worst first"} <= set(headings)
    assert [t.label for t in at.tabs][:4] == ["Touchpoint", "Stage", "Owner team", "Failure mode"]
    mix, trend = _driver_charts(at)[:2]
    assert (
        mix["config"]["axis"]["labelFontSize"] == FONT_SIZE
        and trend["config"]["axis"]["labelFontSize"] == FONT_SIZE
    )
    assert any("flagged for review" in c.value for c in at.caption)


def test_the_council_pulse_draws_the_driver_charts_at_room_size(demo_db):
    at = open_page(pages.COUNCIL.path, query={"present": "1", "step": "1"})
    assert not at.exception, [e.value for e in at.exception]
    assert {"#### CX driver mix", "#### CX drivers per week"} <= set(_headings(at))
    charts = _driver_charts(at)
    assert len(charts) == 2
    for spec in charts:
        assert spec["config"]["axis"]["labelFontSize"] == ROOM_CHART_FONT_PX
        assert spec["config"]["axis"]["labelColor"] == "#1b1b1b"  # near-black, readable across the room


def test_the_pulse_outside_room_mode_keeps_the_normal_size(demo_db):
    at = open_page(pages.COUNCIL.path, query={"step": "1"})
    assert all(spec["config"]["axis"]["labelFontSize"] == FONT_SIZE for spec in _driver_charts(at))


def test_the_heatmaps_page_shows_drivers_by_stage(demo_db):
    at = open_page(pages.HEATMAPS.path)
    assert not at.exception, [e.value for e in at.exception]
    assert "#### CX drivers × stage" in _headings(at)
    labels = set(DRIVERS.values())
    by_stage = [
        rows
        for chart in at.get("vega_lite_chart")
        if (rows := [row for dataset in _datasets(chart) for row in dataset])
        and {r.get("y") for r in rows} & labels
    ]
    assert len(by_stage) == 1 and {row["y"] for row in by_stage[0]} == labels


def _flagged_count(url: str) -> tuple[int, int]:
    store = Store(url)
    with store.read() as session:
        everything = session.exec(select(func.count()).select_from(Signal)).one()
        flagged = session.exec(select(func.count()).select_from(Signal).where(flagged_for_review())).one()
    return everything, flagged


def _shown_count(at) -> int:
    text = next(m.value for m in at.markdown if " match" in m.value).split("**")[1]
    return int(text.replace(",", "").split()[0])


def test_the_friction_log_filters_to_signals_flagged_for_review_and_keeps_it_in_the_url(demo_db):
    everything, flagged = _flagged_count(demo_db)
    assert 0 < flagged < everything
    at = open_page(pages.FRICTION_LOG.path)
    assert _shown_count(at) == everything
    at.toggle(key="f_flagged").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _shown_count(at) == flagged and at.query_params["flagged"] == "1"
    linked = open_page(pages.FRICTION_LOG.path, query={"flagged": "1"})
    assert linked.toggle(key="f_flagged").value is True and _shown_count(linked) == flagged


def test_the_signal_page_shows_each_driver_with_how_it_was_set_and_the_cx_score(demo_db):
    store = Store(demo_db)
    with store.read() as session:
        touchpoint_id = session.exec(select(Signal.touchpoint_id)).first()
    signal = create_signal(
        store,
        signal_in={
            "title": "Third time I ask about the export",
            "source": "ticket",
            "touchpoint_id": touchpoint_id,
            "driver_policy": True,
        },
        actor=COUNCIL,
    )
    at = open_page(pages.FRICTION_LOG.path, query={"signal": str(signal.id)})
    assert not at.exception, [e.value for e in at.exception]
    details = next(m.value for m in at.markdown if "**CX drivers:**" in m.value).replace(
        "\\", ""
    )  # unescaped
    assert "Customer effort (detected: “Third time I ask”)" in details
    assert "Policy feedback (by hand)" in details
    assert (
        "**CX score:** 3.25 of 5 — Customer effort −1, Policy feedback −0.5, Medium severity −0.25" in details
    )
