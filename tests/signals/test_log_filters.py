"""The friction log's filters: any date picked in "Logged between" filters the log and lands in the URL."""

from datetime import date
from urllib.parse import parse_qsl

from components.common import pages
from cxos.vocabulary import Status
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


def _shown_count(at) -> str:
    return next(m.value for m in at.markdown if " match" in m.value).split("**")[1]


def _follow(at, page: str, query: dict[str, str]):
    """Follow a link inside the same browser session: the address changes, session state stays."""
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(page)
    return at.run()


def test_a_heatmap_cell_opens_the_same_signals_in_the_log_and_a_filter_change_keeps_its_dates(demo_db):
    """The log dropped since/until from a heatmap link (283 signals in the cell, 632 in the log)."""
    at = open_page(LOG)  # the log was open earlier in this session: its filters already have widget state
    at = _follow(
        at,
        pages.HEATMAPS.path,
        {"view": "stage_week", "days": "90", "cell": "2026-10-26|Onboard"},
    )
    heading = next(m.value for m in at.markdown if m.value.startswith("#### Onboard"))
    link = next(p for p in at.get("page_link") if "friction log" in p.proto.label)
    query = dict(parse_qsl(link.proto.query_string))
    assert (query["since"], query["until"]) == ("2026-10-26", "2026-11-01")

    at = _follow(at, LOG, query)
    assert not at.exception, [e.value for e in at.exception]
    assert heading.endswith(f"· {_shown_count(at)}")
    assert (at.query_params["since"], at.query_params["until"]) == ("2026-10-26", "2026-11-01")

    at.multiselect(key="f_status").set_value([Status.NEW]).run()
    assert (at.query_params["since"], at.query_params["until"]) == ("2026-10-26", "2026-11-01")
    assert at.query_params["status"] == "new"


def test_a_link_with_only_an_end_date_filters_up_to_it(demo_db):
    at = open_page(LOG, query={"until": "2026-06-01"})
    assert not at.exception
    assert at.query_params["until"] == "2026-06-01"
    assert tuple(at.date_input(key="f_dates").value)[1] == date(2026, 6, 1)
