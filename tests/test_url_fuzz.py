"""No page trusts its URL: every page, run with hostile values for every parameter it reads, raises nothing."""

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.common import pages as page_table
from components.common.url_params import PARAMS_READ
from tests.test_pages import open_page

ROOT = Path(__file__).resolve().parent.parent
PAGES = [page.path for page in page_table.PAGES]
URL_DOOR = ROOT / "components" / "common" / "url_params.py"

HOSTILE = [
    "99999999999999999999",
    "²",
    "１２",
    "1\x00",
    "…",
    "-1",
    "",
    "1,²,2," * 50,
    "x" * 20_000,
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "1",
    "a|b",
    "‮<script>alert(1)</script>",
]
# Lone surrogates cannot be put into a URL at all (UTF-8 cannot encode them), so no browser can send one.
VALUE = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers().map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)
# A repeated key (?signal=1&signal=²) arrives as a list; Streamlit's reader takes the last one.
PARAM_VALUE = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=4))


def params_read_by(page: str, query: dict[str, str] | None = None) -> set[str]:
    PARAMS_READ.clear()
    open_page(page, query=query)
    return set(PARAMS_READ)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_hostile_values_for_every_parameter_it_reads(demo_db, page):
    names = params_read_by(page)
    if not names:  # a page that reads nothing must still ignore whatever a link carries
        at = open_page(page, query={f"p{i}": value for i, value in enumerate(HOSTILE)})
        assert not at.exception, [e.value for e in at.exception]
        return
    if names & {"signal", "failure_mode"}:  # what a page reads once it shows one row
        names |= params_read_by(page, dict.fromkeys(names & {"signal", "failure_mode"}, "1"))

    @settings(
        max_examples=5,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({}, optional=dict.fromkeys(sorted(names), PARAM_VALUE)))
    def runs_without_an_exception(query):
        at = open_page(page, query=query)
        assert not at.exception, (query, [e.value for e in at.exception])

    runs_without_an_exception()
    # Every hostile value at once in every parameter, one after the other: the cases a random draw may miss.
    for value in HOSTILE:
        at = open_page(page, query=dict.fromkeys(names, value))
        assert not at.exception, (value, [e.value for e in at.exception])


def test_the_pages_that_take_parameters_are_seen_reading_them(demo_db):
    """Guards the fuzz test: it fuzzes what the readers record, so they must record."""
    assert {"signal", "q", "status", "since", "until", "team"} <= params_read_by(page_table.FRICTION_LOG.path)
    assert {"view", "weight", "days", "team", "cell"} <= params_read_by(page_table.HEATMAPS.path)
    assert {"step", "present"} <= params_read_by(page_table.COUNCIL.path)
    assert {"source", "touchpoint", "title"} <= params_read_by(page_table.LOG_FRICTION.path)


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ({"signal": "99999999999999999999"}, "Signal"),
        ({"signal": "²"}, "Signal"),
        ({"stage": "²"}, "Stage"),
        ({"touchpoint": "²"}, "Touchpoint"),
        ({"team": "²"}, "Owner"),
        ({"since": "2026-13-01"}, "Logged between (from)"),
    ],
)
def test_the_known_crashes_of_the_friction_log_are_notes_naming_the_filter(demo_db, query, label):
    at = open_page(page_table.FRICTION_LOG.path, query=query)
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"Left out of the link: {label} “" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    assert at.title[0].value == "Friction log"


def test_only_the_url_door_touches_st_query_params():
    """Every page reads and writes its address through components/common/url_params.py, nowhere else."""
    files = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("components/**/*.py")]
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if path != URL_DOOR and re.search(r"\bst\.query_params\b", path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"read the URL with components/common/url_params.py: {offenders}"
