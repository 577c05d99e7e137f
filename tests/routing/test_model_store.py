"""The stored owner model: trained outside requests, shared by every process, retrained when its data changes."""

import json
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from cxos.cli.main import main
from cxos.clock import utcnow
from cxos.models import OwnerModelRecord
from cxos.routing import model_records, model_training, model_worker
from cxos.routing import owner_model as suggestions
from cxos.routing.model_records import claim_training, request_training
from cxos.routing.model_training import needs_training, train_and_store
from cxos.store.store import Store
from cxos.vocabulary import ModelState
from tests.factories import seed_confirmed_routes


@pytest.fixture(autouse=True)
def _fresh_models():
    suggestions.forget()
    yield
    suggestions.forget()


def _rows(store: Store) -> list[OwnerModelRecord]:
    with store.read() as session:
        return list(session.exec(select(OwnerModelRecord).order_by(OwnerModelRecord.id)))


def test_reading_the_status_never_trains(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    status = suggestions.model_status(journey_store)
    assert status.model is None and status.info is None and status.retraining_since is None
    assert suggestions.suggester_for(journey_store) is None
    assert _rows(journey_store) == []


def test_a_trained_model_is_stored_with_its_training_data_fingerprint(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    result = train_and_store(journey_store)
    (row,) = _rows(journey_store)
    assert result.state is ModelState.READY and row.state == ModelState.READY
    assert row.model and row.rows == row.confirmed_routes == 24 and row.teams == 3
    assert row.fingerprint.startswith("24:") and row.trained_at is not None
    assert set(json.loads(row.metrics)) >= {"holdout_accuracy", "coverage", "precision", "threshold"}


def test_another_process_reads_the_stored_model(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    suggestions.forget()  # as a replica that never trained: it only reads
    other = Store(journey_store.url)
    try:
        status = suggestions.model_status(other)
        assert status.model is not None and len(status.model.classes) == 3
    finally:
        other.dispose()


def test_the_stored_model_is_read_once_per_version(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    first = suggestions.owner_model(journey_store)
    assert suggestions.owner_model(journey_store) is first
    train_and_store(journey_store)
    assert suggestions.owner_model(journey_store) is not first


def test_a_new_model_drops_the_older_models_blob(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    train_and_store(journey_store)
    assert [row.model is not None for row in _rows(journey_store)] == [False, True]


def test_training_is_needed_when_there_is_no_model_or_the_routes_changed(
    journey_store, touchpoint_id, monkeypatch
):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    assert needs_training(journey_store)
    train_and_store(journey_store)
    assert not needs_training(journey_store)
    later = utcnow() + model_training.RETRAIN_AFTER + timedelta(minutes=1)
    assert not needs_training(journey_store, now=later)  # nothing changed
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=2)
    assert not needs_training(journey_store)  # changed, but trained moments ago
    assert needs_training(journey_store, now=later)


def test_if_stale_skips_a_current_model(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    assert train_and_store(journey_store, if_stale=True).state is None
    assert len(_rows(journey_store)) == 1


def test_a_retrain_asked_for_shows_as_retraining_until_the_worker_trains(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    assert request_training(journey_store, by="Priya Shah")
    assert not request_training(journey_store, by="Priya Shah")  # one is enough
    status = suggestions.model_status(journey_store)
    assert status.retraining_since is not None and status.model is not None  # the old one still serves
    assert needs_training(journey_store)
    assert train_and_store(journey_store, if_stale=True).state is ModelState.READY
    assert suggestions.model_status(journey_store).retraining_since is None
    assert [row.requested_by for row in _rows(journey_store)][-1] == "Priya Shah"


def test_two_processes_never_train_at_once(journey_store):
    assert claim_training(journey_store, by="a") is not None
    assert claim_training(journey_store, by="b") is None
    assert not needs_training(journey_store)  # the other one is on it


def test_a_training_that_died_is_taken_over(journey_store, monkeypatch):
    first = claim_training(journey_store, by="a")
    later = utcnow() + model_records.ABANDONED_AFTER + timedelta(minutes=1)
    monkeypatch.setattr(model_records, "utcnow", lambda: later)
    assert claim_training(journey_store, by="b") == first


def test_too_little_history_is_stored_as_untrained(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=2)
    assert train_and_store(journey_store).state is ModelState.UNTRAINED
    status = suggestions.model_status(journey_store)
    assert status.model is None and status.confirmed_routes == 6
    assert not needs_training(journey_store)  # until the routes change


def test_cli_trains_and_says_what_it_did(journey_store, touchpoint_id, capsys):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    assert main(["--database-url", journey_store.url, "train", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["state"] == "ready" and out["rows"] == 24 and out["confirmed_routes"] == 24
    assert main(["--database-url", journey_store.url, "train", "--if-stale"]) == 0
    assert "Nothing to do" in capsys.readouterr().err


def test_the_worker_starts_once_per_process_and_store(monkeypatch, tmp_path):
    monkeypatch.setenv("CXOS_MODEL_WORKER", "on")
    monkeypatch.setattr(model_worker, "_started", set())
    watched = []
    monkeypatch.setattr(model_worker, "_watch", watched.append)
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}", create=True)
    try:
        assert model_worker.start_worker(store)
        assert not model_worker.start_worker(store)  # a rerun, another page: nothing new
        for thread in threading.enumerate():
            if thread.name == "cxos-model-worker":
                thread.join(timeout=5)
        assert watched == [store]
    finally:
        store.dispose()


def test_the_worker_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("CXOS_MODEL_WORKER", "off")
    monkeypatch.setattr(model_worker, "_started", set())
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}", create=True)
    try:
        assert not model_worker.start_worker(store)
    finally:
        store.dispose()


def test_the_worker_trains_in_a_child_process(journey_store, touchpoint_id, monkeypatch):
    """What the thread runs when training is needed: `python -m cxos train --if-stale` on this database."""
    if not journey_store.is_sqlite:
        pytest.skip("one backend is enough for the child process")
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    model_worker._train(journey_store)
    assert suggestions.model_status(journey_store).model is not None
