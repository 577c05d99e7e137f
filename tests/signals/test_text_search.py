"""The log's text search on both backends: it finds exactly the signals whose title, details, account or
reference hold the text, whatever characters the text has (LIKE wildcards and quotes are literal)."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cxos.models import Signal
from cxos.signals import queries
from cxos.signals.writes import update_signal
from tests.conftest import COUNCIL
from tests.factories import log_signal

# ASCII only: SQLite's trigrams fold every letter's case, lower() in a LIKE only ASCII ones; both agree here.
ALPHABET = string.ascii_letters + string.digits + " %_'\"*()-:#.\\"
TITLES = [
    "SSO broken for Acme",
    "Invoice shows 100% VAT_rate",
    'Export says "done" but the file is empty',
    "Can't find the webhooks (beta) docs",
    "sso login loops on Safari",
    "Refund: charged twice.",
    "Path C:\\exports\\q3 not found",
    "abc",
]


@pytest.fixture
def searchable(journey_store, touchpoint_id):
    for n, title in enumerate(TITLES):
        log_signal(
            journey_store,
            touchpoint_id=touchpoint_id,
            title=title,
            description=f"reported by tenant {n}" if n % 2 else "see the ticket",
            account=["Acme Corp", "Globex", None][n % 3],
            external_ref=f"ZD-{1000 + n}" if n % 2 == 0 else None,
        )
    return journey_store


def _found(store, text: str) -> set[int]:
    with store.read() as session:
        chosen = queries.SignalFilter(text=text)
        rows = queries.page_of_signals(session, chosen, limit=100)
        assert queries.count_signals(session, chosen) == len(rows)
        return {row["id"] for row in rows}


def _expected(store, text: str) -> set[int]:
    wanted = text.strip().lower()
    with store.read() as session:
        signals = session.exec(select(Signal)).all()
    return {
        s.id
        for s in signals
        if any(
            wanted in (value or "").lower() for value in (s.title, s.description, s.account, s.external_ref)
        )
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.sampled_from(TITLES).flatmap(
            lambda t: st.tuples(st.integers(0, len(t)), st.integers(0, len(t))).map(
                lambda ab: t[min(ab) : max(ab)].swapcase() if ab[0] % 2 else t[min(ab) : max(ab)]
            )
        ),
        st.text(ALPHABET, min_size=1, max_size=8),
    )
)
def test_a_search_finds_exactly_the_signals_that_hold_the_text(searchable, text):
    if not text.strip() or text.strip().lstrip("#").isdigit():  # empty: no filter; "#12": also signal 12
        return
    assert _found(searchable, text) == _expected(searchable, text)


def test_a_changed_title_is_found_by_its_new_words_only(searchable):
    target = log_signal(searchable, touchpoint_id=1, title="Dashboard tiles flicker")
    update_signal(
        searchable,
        signal_id=target.id,
        expected_version=1,
        changes={"title": "Charts redraw twice"},
        actor=COUNCIL,
    )
    assert target.id in _found(searchable, "redraw tw") and target.id not in _found(searchable, "flicker")
