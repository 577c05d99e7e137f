"""Friction aggregates on both backends, their roll-ups, and the chart builders that draw them."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from components.common.data import Journey
from components.journey.friction_charts import (
    cell_colour,
    fit_radar,
    heatmap,
    label_colour,
    relative_luminance,
)
from components.journey.heatmap_drilldown import cell_filter
from cxos.journey.friction import Weight, Window, friction_cells, rollup, top_failure_modes, window_ending
from cxos.journey.map import stages, teams, touchpoint_options
from cxos.models import FailureMode, Signal
from cxos.signals.queries import count_signals
from tests.factories import log_signal, overwrite_signal

MONDAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _fixture(store):
    with store.read() as session:
        tps = touchpoint_options(session)
    a, b = tps[0], next(tp for tp in tps if tp.stage_id != tps[0].stage_id)
    for touchpoint, created_at, fields in [
        (a, MONDAY, {"account": "Acme", "arr": 100_000, "severity": "high"}),
        (a, MONDAY + timedelta(days=1), {"account": "Acme", "arr": 120_000, "severity": "low"}),
        (a, MONDAY + timedelta(days=8), {"account": "Globex", "arr": 50_000, "severity": "critical"}),
        (b, MONDAY + timedelta(days=2), {"account": None, "severity": "medium"}),
        (b, MONDAY - timedelta(days=30), {}),  # outside the window
    ]:
        signal = log_signal(store, touchpoint_id=touchpoint.id, **fields)
        overwrite_signal(store, signal_id=signal.id, created_at=created_at)
    return tps, a, b


WINDOW = Window(MONDAY - timedelta(days=1), MONDAY + timedelta(days=14))


def test_cells_count_weigh_by_severity_and_count_each_accounts_arr_once(journey_store):
    tps, a, b = _fixture(journey_store)
    with journey_store.read() as session:
        cells = {c.touchpoint_id: c for c in friction_cells(session, WINDOW)}
    assert (cells[a.id].signals, cells[a.id].severity, cells[a.id].arr) == (3, 3 + 1 + 5, 120_000 + 50_000)
    assert (cells[b.id].signals, cells[b.id].severity, cells[b.id].arr) == (1, 2, 0)


def test_weekly_cells_bucket_by_monday(journey_store):
    tps, a, b = _fixture(journey_store)
    with journey_store.read() as session:
        cells = {(c.touchpoint_id, c.week): c.signals for c in friction_cells(session, WINDOW, by_week=True)}
    assert cells == {(a.id, date(2026, 11, 2)): 2, (a.id, date(2026, 11, 9)): 1, (b.id, date(2026, 11, 2)): 1}


def test_owner_team_filter_keeps_only_that_teams_signals(journey_store):
    _fixture(journey_store)
    with journey_store.read() as session:
        assert friction_cells(session, WINDOW, owner_team_ids=(1,)) == []


def test_rollup_to_stage_by_component_sums_its_touchpoints(journey_store):
    tps, a, b = _fixture(journey_store)
    with journey_store.read() as session:
        cells = friction_cells(session, WINDOW)
    rows = {(r["x"], r["y"]): r["value"] for r in rollup(cells, tps, "stage_component", Weight.COUNT)}
    assert rows == {(a.stage, a.component): 3, (b.stage, b.component): 1}
    arr = {(r["x"], r["y"]): r["value"] for r in rollup(cells, tps, "stage_component", Weight.ARR)}
    assert arr[(a.stage, a.component)] == 170_000


def test_heatmap_figure_carries_exactly_the_aggregated_values(journey_store):
    tps, a, b = _fixture(journey_store)
    with journey_store.read() as session:
        rows = rollup(friction_cells(session, WINDOW, by_week=True), tps, "stage_week", Weight.COUNT)
    chart = heatmap(rows, x_title="week", y_title="stage", value_title="Signals").to_dict()
    values = {(d["x"], d["y"]): d["value"] for d in next(iter(chart["datasets"].values()))}
    assert values == {("2026-11-02", a.stage): 2, ("2026-11-09", a.stage): 1, ("2026-11-02", b.stage): 1}
    assert any(
        p.get("name") == "cell"
        for p in chart.get("params", [])
        + [q for layer in chart.get("layer", []) for q in layer.get("params", [])]
    )


def test_top_failure_mode_per_touchpoint(journey_store):
    tps, a, b = _fixture(journey_store)
    with journey_store.write() as session:
        mode = FailureMode(name="SSO skips users", touchpoint_id=a.id, status="accepted")
        session.add(mode)
        session.flush()
        session.execute(update(Signal).where(Signal.touchpoint_id == a.id).values(failure_mode_id=mode.id))
    with journey_store.read() as session:
        assert top_failure_modes(session, WINDOW) == {a.id: ("SSO skips users", 3)}


def test_radar_shows_no_data_as_such():
    figure = fit_radar({"Onboarding & Activation": 80, "Community & Peer Support": None})
    trace = figure.data[0]
    assert list(trace.r) == [80, 0, 80] and "no data yet" in trace.hovertext[1]


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_heatmap_cell_number_is_readable_on_its_own_cell_colour():
    """WCAG AA (4.5:1) for the number on every shade the scale can give a cell."""
    for value in range(101):
        text = (0, 0, 0) if label_colour(value, 100) == "#000000" else (255, 255, 255)
        assert _contrast(text, cell_colour(value, 100)) >= 4.5, value


def test_the_heatmap_draws_its_text_at_the_size_asked_for():
    rows = [{"x": "Onboard", "y": "Knowledge", "value": 3, "signals": 3}]
    chart = heatmap(rows, x_title="stage", y_title="component", value_title="Signals", font_size=22).to_dict()
    assert chart["config"]["axis"]["labelFontSize"] == 22
    assert chart["layer"][1]["mark"]["fontSize"] == 22


@pytest.mark.parametrize("view", ["stage_component", "stage_week", "touchpoint_week"])
def test_a_heatmap_cell_and_its_drill_down_count_the_same_signals(journey_store, view):
    """The cell once said 283 and its drill-down 284: the drill-down started at midnight of the first day, the
    cell at the same time of day as now (and, by week, the first week's Monday against that day)."""
    now = datetime(2026, 11, 18, 14, 31, tzinfo=UTC)  # a Wednesday; 31 days before is a Sunday
    days = 31
    with journey_store.read() as session:
        tps = touchpoint_options(session, include_archived=True)
        journey = Journey(
            touchpoints=tuple(tps),
            stages=tuple((s.id, s.name) for s in stages(session)),
            teams=tuple((t.id, t.name) for t in teams(session)),
        )
    first_day = (now - timedelta(days=days)).replace(hour=9, minute=0)  # before now's time of day, that day
    for created_at in (
        first_day,
        first_day - timedelta(days=1),
        now - timedelta(minutes=5),
        now - timedelta(days=9),
    ):
        signal = log_signal(journey_store, touchpoint_id=tps[0].id)
        overwrite_signal(journey_store, signal_id=signal.id, created_at=created_at)
    by_week = view != "stage_component"
    with journey_store.read() as session:
        cells = friction_cells(session, window_ending(now, days, whole_weeks=by_week), by_week=by_week)
        for row in rollup(cells, tps, view, Weight.COUNT):
            drill_down = cell_filter(view, row["x"], row["y"], journey, now=now, days=days, team_ids=())
            assert count_signals(session, drill_down) == row["signals"], (row["x"], row["y"])
