"""Migrations: replicas starting at once take turns; s005 makes (source, reference) unique, keeping the first."""

import multiprocessing

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import select

from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import Signal
from cxos.store import db
from cxos.store.store import Store
from tests.conftest import ADMIN
from tests.factories import log_signal

HEAD = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()

REPLICAS = 6


def start_replica(url: str, start, outcomes) -> None:
    """What an app replica does first: open the store, which migrates it to head."""
    start.wait()
    try:
        Store.open(url, create=True).dispose()
        outcomes.put("ok")
    except Exception as error:
        outcomes.put(f"{type(error).__name__}: {str(error).splitlines()[0]}")


def test_six_replicas_starting_at_once_all_migrate(unmigrated_url):
    spawn = multiprocessing.get_context("spawn")
    start, outcomes = spawn.Barrier(REPLICAS), spawn.Queue()
    replicas = [
        spawn.Process(target=start_replica, args=(unmigrated_url, start, outcomes)) for _ in range(REPLICAS)
    ]
    for process in replicas:
        process.start()
    results = [outcomes.get(timeout=300) for _ in replicas]
    for process in replicas:
        process.join()
    assert results == ["ok"] * REPLICAS
    store = Store(unmigrated_url)
    with store.read() as session:
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
    store.dispose()


def test_s005_keeps_the_first_signal_of_a_reference_and_marks_the_later_copies(unmigrated_url, monkeypatch):
    command.upgrade(db.alembic_config(unmigrated_url), "0004")
    # Today's create_signal asks the stored owner model (a table of a later migration): at 0004 there is none.
    monkeypatch.setattr("cxos.signals.arrival.suggester_for", lambda store: None)
    store = Store(unmigrated_url)
    load_journey_template(store, actor=ADMIN)
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    first, second, third = (
        log_signal(store, touchpoint_id=touchpoint_id, external_ref="T-1") for _ in range(3)
    )
    other_source = log_signal(store, touchpoint_id=touchpoint_id, external_ref="T-1", source="slack")
    store.dispose()

    db.upgrade_to_head(unmigrated_url)

    store = Store(unmigrated_url)
    with store.read() as session:
        stored = {s.id: (s.external_ref, s.version) for s in session.exec(select(Signal))}
    store.dispose()
    assert stored == {
        first.id: ("T-1", 1),
        second.id: (f"T-1#duplicate-{second.id}-of-{first.id}", 2),
        third.id: (f"T-1#duplicate-{third.id}-of-{first.id}", 2),
        other_source.id: ("T-1", 1),
    }
