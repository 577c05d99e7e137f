"""A burst of writer processes on one SQLite file: every write waits its turn, none reaches a person as "busy"."""

import multiprocessing
import os

from sqlmodel import func, select

from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import Signal
from cxos.store.store import Store
from tests.conftest import ADMIN, CONTRIBUTOR

WRITERS = 12
WRITES_EACH = 15
# So short that SQLite's own busy handler gives up at once when another process holds the write lock:
# only the queue in front of it keeps the writers from failing.
BUSY_TIMEOUT_MS = 5


def write_signals(url: str, number: int, start, outcomes) -> None:
    """One writer process: WRITES_EACH quick-entry signals; each refusal is reported by its message."""
    from cxos.signals.writes import create_signal
    from cxos.store import db

    db.SQLITE_BUSY_TIMEOUT_MS = BUSY_TIMEOUT_MS
    store = Store(url)
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    start.wait()
    errors = []
    for attempt in range(WRITES_EACH):
        try:
            create_signal(
                store,
                signal_in={
                    "title": f"Writer {number} friction {attempt}",
                    "source": "ticket",
                    "touchpoint_id": touchpoint_id,
                    "client_token": f"burst-{number}-{attempt}",
                },
                actor=CONTRIBUTOR,
            )
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
    store.dispose()
    outcomes.put(errors)


def test_twelve_writer_processes_with_a_short_busy_timeout_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'burst.db'}"
    store = Store.open(url, create=True)
    load_journey_template(store, actor=ADMIN)
    spawn = multiprocessing.get_context("spawn")
    start, outcomes = spawn.Barrier(WRITERS), spawn.Queue()
    writers = [spawn.Process(target=write_signals, args=(url, n, start, outcomes)) for n in range(WRITERS)]
    for process in writers:
        process.start()
    errors = [message for _ in writers for message in outcomes.get(timeout=300)]
    for process in writers:
        process.join()
    assert errors == []
    with store.read() as session:
        assert session.exec(select(func.count()).select_from(Signal)).one() == WRITERS * WRITES_EACH
    store.dispose()
    assert os.path.exists(f"{tmp_path / 'burst.db'}-writer.lock")
