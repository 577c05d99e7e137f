"""The friction log's count: from the last page itself when it is short, else counted (capped for a search)."""

import pytest

from components.common.data import get_store, load_log_page
from cxos.signals import queries


@pytest.mark.parametrize("text", ["", "SSO", "no such words anywhere", "a"])
def test_every_page_of_the_log_says_as_many_matches_as_a_count_finds(demo_db, text):
    signal_filter = queries.SignalFilter(text=text)
    with get_store().read() as session:
        counted = queries.count_signals(session, signal_filter)
    for page in range(3):
        shown = load_log_page(signal_filter, page, 50)
        expected = min(counted, queries.COUNT_CAP) if text else counted
        assert shown.total == expected
        assert shown.more == (bool(text) and counted > queries.COUNT_CAP)
