"""The signal detail view: actions by role, the timeline, conflicts between two people, text shown as typed."""

import re
from collections.abc import Iterator

import pytest
from sqlmodel import select

from components.common import pages
from cxos.identity import Actor
from cxos.models import Event, Signal
from cxos.store.store import Store
from cxos.vocabulary import Role, Status
from tests.factories import log_signal
from tests.test_pages import open_page

LOG = pages.FRICTION_LOG.path


CARLA = Actor("Carla Diaz", Role.CONTRIBUTOR)  # who logged the signal each test opens
WEBHOOK = {"title": "Webhook fired twice", "source": "community"}


@pytest.fixture
def demo_store(demo_db) -> Iterator[Store]:
    """The database the pages open, for logging the signal a test starts from."""
    store = Store(demo_db)
    yield store
    store.dispose()


def _stored(url: str, signal_id: int) -> tuple[Signal, list[Event]]:
    store = Store(url)
    with store.read() as session:
        signal = session.get(Signal, signal_id)
        events = list(
            session.exec(
                select(Event).where(Event.entity == "signal", Event.entity_id == signal_id).order_by(Event.id)
            )
        )
    store.dispose()
    return signal, events


def _journey():
    from components.common.data import load_journey

    return load_journey()


def test_deep_link_opens_the_signal_with_its_timeline(demo_db, demo_store):
    signal_id = log_signal(demo_store, touchpoint_id=1, actor=CARLA, **WEBHOOK).id
    at = open_page(LOG, query={"signal": str(signal_id)})
    assert not at.exception
    assert any(f"#{signal_id} · Webhook fired twice" in m.value for m in at.markdown)
    assert any("Timeline · 1 event" in m.value for m in at.markdown)
    assert any("Carla Diaz · logged it" in m.value for m in at.markdown)


def test_council_assigns_an_owner_and_the_timeline_shows_it(demo_db, demo_store):
    signal_id = log_signal(demo_store, touchpoint_id=1, actor=CARLA, **WEBHOOK).id
    at = open_page(LOG, query={"signal": str(signal_id)})
    owner = next(b for b in at.selectbox if b.label == "Upstream owner")
    engineering = next(tid for tid, name in _journey().teams if name == "Engineering")
    owner.set_value(engineering)
    at = next(b for b in at.button if b.label == "Assign owner").click().run()
    assert not at.exception and not at.error
    signal, events = _stored(demo_db, signal_id)
    assert (signal.owner_team_id, signal.status, signal.version) == (engineering, "routed", 2)
    assert [e.action for e in events] == ["created", "owner", "status"]
    assert any("owner: _none_ → Engineering" in m.value for m in at.markdown)


def test_second_person_editing_a_stale_copy_is_refused_and_both_attempts_are_logged(demo_db, demo_store):
    signal_id = log_signal(demo_store, touchpoint_id=1, actor=CARLA, **WEBHOOK).id
    first = open_page(LOG, name="Priya Shah", query={"signal": str(signal_id)})
    second = open_page(LOG, name="Marco Rossi", query={"signal": str(signal_id)})
    engineering = next(tid for tid, name in _journey().teams if name == "Engineering")
    next(b for b in first.selectbox if b.label == "Upstream owner").set_value(engineering)
    next(b for b in first.button if b.label == "Assign owner").click().run()
    # Marco still looks at version 1 and asks for more information.
    next(b for b in second.selectbox if b.label == "Move to").set_value(Status.NEEDS_INFO)
    second = _submit_status(second, "Which IdP do they use?")
    assert any("changed by Priya Shah" in e.value for e in second.error)
    signal, events = _stored(demo_db, signal_id)
    assert (signal.status, signal.owner_team_id) == ("routed", engineering)
    assert [(e.action, e.actor) for e in events] == [
        ("created", "Carla Diaz"),
        ("owner", "Priya Shah"),
        ("status", "Priya Shah"),
        ("refused", "Marco Rossi"),
    ]
    assert any("changed this signal" in w.value for w in second.warning)


def _submit_status(at, reason: str):
    next(t for t in at.text_input if t.label.startswith("Reason")).input(reason)
    return next(b for b in at.button if b.label == "Change status").click().run()


def test_html_in_a_title_is_shown_as_text(demo_db, demo_store):
    signal_id = log_signal(
        demo_store,
        touchpoint_id=1,
        actor=CARLA,
        source="community",
        title="<img src=x onerror=alert(1)> [click](javascript:alert(1))",
    ).id
    at = open_page(LOG, query={"signal": str(signal_id)})
    header = next(m.value for m in at.markdown if m.value.startswith(f"## #{signal_id}"))
    assert re.search(r"(?<!\\)[<>\[\]()]", header.split("· ", 1)[1]) is None  # every markup character escaped
    assert r"\<img src\=x" in header


def test_a_viewer_reads_but_gets_no_actions(demo_db, demo_store):
    signal_id = log_signal(demo_store, touchpoint_id=1, actor=CARLA, **WEBHOOK).id
    at = open_page(LOG, name="Board Viewer", query={"signal": str(signal_id)})
    assert any("can read signals but not change them" in i.value for i in at.info)
    assert not [b for b in at.button if b.label in {"Assign owner", "Change status", "Save changes"}]


def test_a_contributor_edits_their_own_signal_only(demo_db, demo_store):
    signal_id = log_signal(demo_store, touchpoint_id=1, actor=CARLA, **WEBHOOK).id
    mine = open_page(LOG, name="Carla Diaz", query={"signal": str(signal_id)})
    assert [b.label for b in mine.button if b.label in {"Assign owner", "Change status", "Save changes"}] == [
        "Save changes"
    ]
    next(t for t in mine.text_input if t.label == "Account").input("Acme Health")
    mine = next(b for b in mine.button if b.label == "Save changes").click().run()
    assert _stored(demo_db, signal_id)[0].account == "Acme Health"
    theirs = open_page(LOG, name="Someone Else", query={"signal": str(signal_id)})
    assert any("can read signals but not change them" in i.value for i in theirs.info)


def test_log_table_pages_and_filters_through_the_url(demo_db):
    at = open_page(LOG, query={"team": "none", "status": "new,needs_info"})
    summary = next(m.value for m in at.markdown if " match" in m.value)
    everything = next(m.value for m in open_page(LOG).markdown if " match" in m.value)
    assert summary != everything
    at = next(b for b in open_page(LOG).button if b.label == "Older →").click().run()
    assert any("page **2**" in m.value for m in at.markdown)


def test_an_edit_typed_over_someone_elses_change_is_refused_not_lost(demo_db, demo_store):
    signal_id = log_signal(demo_store, touchpoint_id=1, actor=CARLA, **WEBHOOK).id
    first = open_page(LOG, name="Priya Shah", query={"signal": str(signal_id)})
    second = open_page(LOG, name="Marco Rossi", query={"signal": str(signal_id)})
    next(t for t in first.text_input if t.label == "What happened").input("Webhook fired three times")
    next(b for b in first.button if b.label == "Save changes").click().run()
    next(t for t in second.text_input if t.label == "Account").input("Acme Health")
    second = next(b for b in second.button if b.label == "Save changes").click().run()
    assert any("changed by Priya Shah" in e.value for e in second.error)
    assert (
        next(t for t in second.text_input if t.label == "Account").value == "Acme Health"
    )  # still there to retry
    signal, _ = _stored(demo_db, signal_id)
    assert (signal.title, signal.account) == ("Webhook fired three times", None)
