"""Quick entry through the Log friction page: one submit, one signal; bad input stores nothing."""

from sqlalchemy import func
from sqlmodel import select

from components.common import pages
from cxos.models import Event, Signal
from cxos.store.store import Store
from cxos.vocabulary import Source
from tests.test_pages import open_page

PAGE = pages.LOG_FRICTION.path


def _counts(url: str) -> tuple[int, int]:
    store = Store(url)
    with store.read() as session:
        signals = session.exec(select(func.count()).select_from(Signal)).one()
        events = session.exec(select(func.count()).select_from(Event).where(Event.entity == "signal")).one()
    store.dispose()
    return signals, events


def _first_touchpoint_id() -> int:
    from components.common.data import load_journey

    return load_journey().touchpoints[0].id


def _submit(at, title: str, source: str = "slack") -> object:
    """Answer the three required questions (first touchpoint of the journey) and press Log friction."""
    gen = at.session_state["entry_generation"]
    at.text_input(key=f"entry_title_{gen}").input(title)
    # AppTest cannot apply a format_func to non-string options, so pick through the widgets' state.
    at.session_state[f"entry_touchpoint_id_{gen}"] = _first_touchpoint_id()
    at.session_state[f"entry_source_{gen}"] = Source(source)
    return at.button[0].click().run()


def test_valid_entry_stores_one_signal_one_event_and_clears_the_form(demo_db):
    before = _counts(demo_db)
    at = _submit(open_page(PAGE), "Okta users missing after SCIM sync")
    assert not at.exception
    assert _counts(demo_db) == (before[0] + 1, before[1] + 1)
    assert any("Logged as signal #" in s.value for s in at.success)
    assert at.text_input(key="entry_title_1").value == ""  # a fresh, empty form
    store = Store(demo_db)
    with store.read() as session:
        newest = session.exec(select(Signal).order_by(Signal.id.desc())).first()
    assert (newest.title, newest.source, newest.created_by, newest.status) == (
        "Okta users missing after SCIM sync",
        "slack",
        "Priya Shah",
        "new",
    )


def test_invalid_entry_shows_inline_messages_and_stores_nothing(demo_db):
    before = _counts(demo_db)
    at = open_page(PAGE)
    at.text_input(key="entry_title_0").input("x")
    at = at.button[0].click().run()
    messages = " ".join(e.value for e in at.error)
    assert "What happened needs at least 3 characters" in messages
    assert "Where in the journey is required" in messages and "Source is required" in messages
    assert _counts(demo_db) == before
    assert at.text_input(key="entry_title_0").value == "x"  # what was typed is kept for correction


def test_submitting_the_same_form_twice_creates_one_signal(demo_db):
    before = _counts(demo_db)
    at = _submit(open_page(PAGE), "Double-clicked submit")
    at.run()  # a plain rerun must not log it again
    # A second submit of the same form render (a double click in flight) carries the same token.
    at.session_state["entry_generation"] = 0
    at.run()
    at = _submit(at, "Double-clicked submit")
    assert _counts(demo_db) == (before[0] + 1, before[1] + 1)


def test_query_parameters_prefill_the_form(demo_db):
    at = open_page(
        PAGE, query={"source": "slack", "touchpoint": "Data import", "title": "From a chat shortcut"}
    )
    assert at.selectbox(key="entry_source_0").value == "slack"
    from components.common.data import load_journey

    assert load_journey().where(at.selectbox(key="entry_touchpoint_id_0").value) == "Onboard › Data import"
    assert at.text_input(key="entry_title_0").value == "From a chat shortcut"


def test_unknown_query_parameters_are_reported_not_guessed(demo_db):
    at = open_page(PAGE, query={"source": "fax", "touchpoint": "Nowhere"})
    assert at.selectbox(key="entry_source_0").value is None
    notes = [c.value for c in at.caption if "Left out of the link" in c.value]
    assert any("Source “fax”" in note for note in notes), notes
    assert any("Where in the journey “Nowhere”" in note for note in notes), notes


def test_a_viewer_cannot_log(demo_db):
    at = open_page(PAGE, name="Board Viewer")
    assert any("can read the log but not add to it" in w.value for w in at.warning)
    assert at.button[0].disabled


def test_an_over_long_title_is_kept_and_flagged_then_split_into_the_details(demo_db):
    """Pasting more than 200 characters used to leave the field empty (the widget dropped the whole paste)."""
    before = _counts(demo_db)
    pasted = ("Okta users missing after the SCIM sync again " * 10)[:412]
    at = _submit(open_page(PAGE), pasted)
    assert at.text_input(key="entry_title_0").value == pasted  # kept, nothing logged yet
    assert any("412 of 200 characters; the rest goes into the details" in w.value for w in at.warning)
    assert _counts(demo_db) == before
    at = at.button[0].click().run()  # logged the way the flag said
    assert _counts(demo_db) == (before[0] + 1, before[1] + 1)
    store = Store(demo_db)
    with store.read() as session:
        newest = session.exec(select(Signal).order_by(Signal.id.desc())).first()
    store.dispose()
    assert len(newest.title) <= 200 and newest.title.endswith("…")
    assert newest.title.removesuffix("…") + " " + newest.description.removeprefix("…") == pasted
