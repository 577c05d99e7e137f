"""The Routing model page: training status, triage with suggestions, one-click assign, and the in-app backtest."""

import pytest
from sqlmodel import select

from components.common import pages
from cxos.models import Event, Signal
from cxos.routing import owner_model as suggestions
from cxos.store.store import Store
from tests.test_pages import open_page

PAGE = pages.ROUTING_MODEL.path


@pytest.fixture(autouse=True)
def _fresh_models():
    suggestions.forget()
    yield
    suggestions.forget()


def _assign_buttons(at):
    return [b for b in at.button if b.key and b.key.startswith("assign_")]


def test_page_shows_training_status_and_the_threshold(trained_demo_db):
    at = open_page(PAGE)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Auto-route at"] == "≥ 80%"
    assert metrics["Trained"] != "not yet" and int(metrics["Teams it knows"]) >= 2
    assert int(metrics["Confirmed routes"].replace(",", "")) > 100


def test_triage_signals_show_three_suggestions_each(trained_demo_db):
    at = open_page(PAGE)
    buttons = _assign_buttons(at)
    assert buttons and len(buttons) % 3 == 0
    assert all("%" in b.label for b in buttons)


def test_assign_to_suggestion_writes_one_owner_event_routed_by_the_model(trained_demo_db):
    at = open_page(PAGE)
    button = _assign_buttons(at)[0]
    _, signal_id, team_id = button.key.split("_")
    button.click().run()
    assert not at.exception
    store = Store(trained_demo_db)
    with store.read() as session:
        signal = session.get(Signal, int(signal_id))
        events = session.exec(
            select(Event).where(
                Event.entity == "signal", Event.entity_id == int(signal_id), Event.action == "owner"
            )
        ).all()
    assert signal.owner_team_id == int(team_id) and signal.routed_by == "model" and signal.status == "routed"
    assert [(e.to_value, e.note, e.actor) for e in events] == [(team_id, "model", "Priya Shah")]


def test_a_stale_suggestion_is_refused(trained_demo_db):
    at = open_page(PAGE)
    button = _assign_buttons(at)[0]
    signal_id = int(button.key.split("_")[1])
    store = Store(trained_demo_db)
    with store.write() as session:  # someone else edits the signal after the page was read
        signal = session.get(Signal, signal_id)
        signal.version += 1
        session.add(signal)
    button.click().run()
    assert any("after you opened it" in e.value for e in at.error)
    with store.read() as session:
        assert session.get(Signal, signal_id).owner_team_id is None


def test_viewers_see_suggestions_without_assign_buttons(trained_demo_db):
    at = open_page(PAGE, name="Board Viewer")
    assert not at.exception and not _assign_buttons(at)
    assert not [b for b in at.button if b.label == "Retrain now"]


def test_council_can_ask_for_a_retrain_and_the_page_says_it_is_coming(trained_demo_db):
    at = open_page(PAGE)
    assert suggestions.model_status(Store(trained_demo_db)).retraining_since is None
    next(b for b in at.button if b.label == "Retrain now").click().run()
    assert not at.exception
    assert suggestions.model_status(Store(trained_demo_db)).retraining_since is not None
    assert any("retraining…" in c.value for c in at.caption)
    assert next(b for b in at.button if b.label == "Retrain now").disabled


def test_the_page_never_trains(trained_demo_db, monkeypatch):
    """A page run only reads the stored model: training is the worker's (or `python -m cxos train`)."""

    def refuse(*args, **kwargs):
        raise AssertionError("trained during a page run")

    monkeypatch.setattr(suggestions, "train_owner_model", refuse)
    monkeypatch.setattr(suggestions, "train_on_routes", refuse)
    at = open_page(PAGE)
    assert not at.exception and _assign_buttons(at)


def test_without_a_stored_model_the_page_says_what_it_waits_for(demo_db):
    at = open_page(PAGE)
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Trained"] == "not yet"
    assert any("background worker trains one" in i.value for i in at.info)


def test_backtest_on_the_stores_history_shows_its_figures(trained_demo_db):
    at = open_page(PAGE)
    next(b for b in at.button if b.label == "Run backtest").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert {
        "Accuracy",
        "Auto-routed",
        "Right when automatic",
        "By rules",
        "By the model",
        "Left in triage",
    } <= set(labels)
    assert at.dataframe
