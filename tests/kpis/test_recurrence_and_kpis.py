"""Recurrence verdicts on hand-made histories, the KPI formulas with hand-computed answers, and the metrics import."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from cxos.errors import ValidationFailed
from cxos.fixes.recurrence import MATERIALLY_LESS, NO_CLEAR_CHANGE, TOO_LITTLE_DATA, WORSE, recurrence
from cxos.kpis.figures import (
    Costs,
    KpiFilter,
    avoided_recurrences,
    cost_saved,
    loop_closure,
    month_over_month,
    summarise,
    time_to_route_hours,
)
from cxos.kpis.metrics import import_metrics, parse_period
from cxos.models import Event, FailureMode, MetricValue, Signal
from tests.conftest import COUNCIL

SHIPPED = datetime(2026, 6, 1, 12, tzinfo=UTC)
NOW = SHIPPED + timedelta(weeks=8)


def _history(store, touchpoint_id, before_per_week: int, after_per_week: int) -> int:
    """A failure mode with so many signals in each of the 6 weeks before and after SHIPPED."""
    with store.write() as session:
        mode = FailureMode(name="SSO loops", status="accepted")
        session.add(mode)
        session.flush()
        for week in range(-6, 6):
            for n in range(before_per_week if week < 0 else after_per_week):
                at = SHIPPED + timedelta(weeks=week, hours=10 + n)
                session.add(
                    Signal(
                        title="x",
                        source="ticket",
                        touchpoint_id=touchpoint_id,
                        failure_mode_id=mode.id,
                        created_at=at,
                        updated_at=at,
                    )
                )
        return mode.id


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [(5, 1, MATERIALLY_LESS), (5, 5, NO_CLEAR_CHANGE), (4, 6, WORSE), (1, 0, TOO_LITTLE_DATA)],
    ids=["clear drop", "no change", "rise", "too little data"],
)
def test_recurrence_verdict(journey_store, touchpoint_id, before, after, verdict):
    mode_id = _history(journey_store, touchpoint_id, before, after)
    with journey_store.read() as session:
        result = recurrence(session, failure_mode_id=mode_id, shipped_at=SHIPPED, now=NOW)
    assert (result.verdict, result.signals_before, result.signals_after) == (verdict, 6 * before, 6 * after)


def test_recurrence_too_soon_after_shipping_is_too_little_data(journey_store, touchpoint_id):
    mode_id = _history(journey_store, touchpoint_id, 5, 0)
    with journey_store.read() as session:
        result = recurrence(
            session, failure_mode_id=mode_id, shipped_at=SHIPPED, now=SHIPPED + timedelta(days=10)
        )
    assert (result.verdict, result.weeks_after) == (TOO_LITTLE_DATA, 1)


def test_recurrence_is_normalised_by_ticket_volume_when_imported(journey_store, touchpoint_id):
    # Same signals per week, but ticket volume halves after the fix: per ticket, the failure got worse.
    mode_id = _history(journey_store, touchpoint_id, 4, 4)
    with journey_store.write() as session:
        for month, volume in ((4, 1000), (5, 1000), (6, 500), (7, 500)):
            session.add(MetricValue(metric="ticket_volume", period=date(2026, month, 1), value=volume))
    with journey_store.read() as session:
        result = recurrence(session, failure_mode_id=mode_id, shipped_at=SHIPPED, now=NOW)
    assert (result.normalised_by, result.verdict) == ("ticket_volume", WORSE)


def test_raw_counts_say_so(journey_store, touchpoint_id):
    mode_id = _history(journey_store, touchpoint_id, 4, 4)
    with journey_store.read() as session:
        result = recurrence(session, failure_mode_id=mode_id, shipped_at=SHIPPED, now=NOW)
    assert result.normalised_by is None and "raw counts" in result.explanation


def test_recurrence_summary_and_avoided_recurrences(journey_store, touchpoint_id):
    # 5/week before, 1/week after for 6 weeks: rate drops 80%, 4 × 6 = 24 signals avoided.
    mode_id = _history(journey_store, touchpoint_id, 5, 1)
    with journey_store.read() as session:
        result = recurrence(session, failure_mode_id=mode_id, shipped_at=SHIPPED, now=NOW)
    summary = summarise([result])
    assert (summary.judged, summary.materially_less, round(summary.reduction, 2)) == (1, 1, 0.8)
    assert avoided_recurrences(result) == pytest.approx(24)


def test_cost_saved_by_hand():
    # 1,000 deflected × (8.01 − 0.10) + 24 avoided × 8.01 = 7,910 + 192.24
    assert cost_saved(deflected=1000, avoided=24, costs=Costs()) == pytest.approx(8102.24)


def test_month_over_month_change():
    series = [(date(2026, 1, 1), 200.0), (date(2026, 2, 1), 250.0), (date(2026, 3, 1), 200.0)]
    assert [round(c, 2) if c is not None else None for _, _, c in month_over_month(series)] == [
        None,
        0.25,
        -0.2,
    ]


@pytest.mark.parametrize(("gaps", "median"), [((1, 3, 10), 3), ((1, 3, 10, 20), 6.5)], ids=["odd", "even"])
def test_time_to_route_is_the_median(journey_store, touchpoint_id, gaps, median):
    start = datetime(2026, 3, 2, tzinfo=UTC)
    with journey_store.write() as session:
        for hours in gaps:
            session.add(
                Signal(
                    title="x",
                    source="ticket",
                    touchpoint_id=touchpoint_id,
                    created_at=start,
                    routed_at=start + timedelta(hours=hours),
                )
            )
        session.add(Signal(title="unrouted", source="ticket", touchpoint_id=touchpoint_id, created_at=start))
    with journey_store.read() as session:
        hours = time_to_route_hours(session, KpiFilter(start, start + timedelta(days=1)))
    assert hours == pytest.approx(median)


def test_loop_closure_rate_counts_fixed_and_closed(journey_store, touchpoint_id):
    start = datetime(2026, 3, 2, tzinfo=UTC)
    with journey_store.write() as session:
        for status in ("loop_closed", "loop_closed", "fixed", "fixed", "routed"):
            session.add(
                Signal(
                    title="x", source="ticket", touchpoint_id=touchpoint_id, created_at=start, status=status
                )
            )
    with journey_store.read() as session:
        assert loop_closure(session, KpiFilter(start, start + timedelta(days=1))) == (2, 4)


def test_metrics_import_stores_every_row(journey_store):
    text = "period,metric,value\n2026-01,ticket_volume,1200\n2026-02-01,csat,87.5\n"
    assert import_metrics(journey_store, text=text, actor=COUNCIL) == 2
    with journey_store.read() as session:
        stored = sorted((m.metric, m.period, m.value) for m in session.exec(select(MetricValue)))
        events = session.exec(select(Event).where(Event.entity == "metric_value")).all()
    assert stored == [("csat", date(2026, 2, 1), 87.5), ("ticket_volume", date(2026, 1, 1), 1200.0)]
    assert len(events) == 2


def test_metrics_import_with_bad_rows_stores_nothing_and_names_each_row(journey_store):
    text = (
        "period,metric,value\n2026-01,ticket_volume,1200\n2026-13,csat,80\n2026-02,nps,40\n"
        "2026-03,deflection,lots\n"
    )
    with pytest.raises(ValidationFailed) as refused:
        import_metrics(journey_store, text=text, actor=COUNCIL)
    assert sorted(refused.value.problems) == ["line 3", "line 4", "line 5"]
    assert "unknown metric 'nps'" in refused.value.problems["line 4"]
    with journey_store.read() as session:
        assert session.exec(select(MetricValue)).all() == []


def test_a_period_must_be_a_month():
    assert parse_period("2026-03") == date(2026, 3, 1)
    with pytest.raises(ValueError):
        parse_period("2026-03-15")
