"""The friction log's filters: any date picked in "Logged between" filters the log and lands in the URL."""

from datetime import date

from components.common import pages
from tests.test_pages import open_page

LOG = pages.FRICTION_LOG.path


def test_one_picked_date_filters_from_that_day_and_is_kept_in_the_url(demo_db):
    """Picking only the first day of the range used to raise "'datetime.date' object is not iterable"."""
    at = open_page(LOG)
    at.date_input(key="f_dates").set_value(date(2026, 11, 2)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["since"] == "2026-11-02"
    assert "until" not in at.query_params


def test_a_picked_range_filters_both_ends_and_is_kept_in_the_url(demo_db):
    at = open_page(LOG)
    at.date_input(key="f_dates").set_value((date(2026, 11, 2), date(2026, 11, 9))).run()
    assert not at.exception, [e.value for e in at.exception]
    assert (at.query_params["since"], at.query_params["until"]) == ("2026-11-02", "2026-11-09")


def test_dates_from_the_url_seed_the_range(demo_db):
    at = open_page(LOG, query={"since": "2026-11-02", "until": "2026-11-09"})
    assert not at.exception
    assert tuple(at.date_input(key="f_dates").value) == (date(2026, 11, 2), date(2026, 11, 9))
