"""GET /api/v1/signals underneath: the log's filters read from a query string, and pages by cursor."""

import pytest

from cxos.errors import ValidationFailed
from cxos.intake.reads import page, read_query
from cxos.signals.queries import SignalFilter, count_signals
from tests.factories import log_signal


def _all_pages(store, params):
    seen, cursor = [], None
    while True:
        signals, cursor = page(store, read_query(store, params | ({"cursor": cursor} if cursor else {})))
        seen += signals
        if cursor is None:
            return seen


def test_pages_by_cursor_cover_every_signal_once_newest_first(journey_store, touchpoint_id):
    for n in range(7):
        log_signal(journey_store, touchpoint_id=touchpoint_id, title=f"Signal number {n}")
    seen = _all_pages(journey_store, {"limit": "3"})
    assert [s.title for s in seen] == [f"Signal number {n}" for n in reversed(range(7))]


def test_filters_are_the_logs(journey_store, touchpoint_id):
    log_signal(journey_store, touchpoint_id=touchpoint_id, title="Billing export broken", source="slack")
    log_signal(journey_store, touchpoint_id=touchpoint_id, title="Login loop", source="ticket")
    found = _all_pages(journey_store, {"source": "slack", "q": "billing", "team": "none,"})
    assert [s.title for s in found] == ["Billing export broken"]
    with journey_store.read() as session:
        assert count_signals(session, SignalFilter(sources=("ticket",))) == 1


def test_every_unreadable_parameter_is_named(journey_store):
    with pytest.raises(ValidationFailed) as refused:
        read_query(
            journey_store,
            {"status": "lost", "stage": "x", "since": "yesterday", "limit": "5000", "cursor": "!!"},
        )
    assert set(refused.value.problems) == {"status", "stage", "since", "limit", "cursor"}
