"""Storage faults reach people as clear messages: a deleted or replaced database file, a full disk, a file-size
limit, a read-only file (which can still be read), an I/O error; never a write acknowledged into nowhere."""

import multiprocessing
import os
import resource
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from cxos.cli.main import main
from cxos.errors import StorageFault
from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import Signal, Team
from cxos.store import faults
from cxos.store.store import Store
from tests.conftest import ADMIN
from tests.factories import log_signal

NOBODY = 65534


@pytest.fixture
def sqlite_store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'cxos.db'}", create=True)
    load_journey_template(store, actor=ADMIN)
    yield store
    store.dispose()


def first_touchpoint(store: Store) -> int:
    with store.read() as session:
        return touchpoint_options(session)[0].id


def stored_signals(url: str) -> int:
    store = Store.open(url)
    with store.read() as session:
        count = session.exec(select(func.count()).select_from(Signal)).one()
    store.dispose()
    return count


def _delete_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_writes_after_the_database_file_was_deleted_are_refused_not_acknowledged(sqlite_store, tmp_path):
    touchpoint_id = first_touchpoint(sqlite_store)
    log_signal(sqlite_store, touchpoint_id=touchpoint_id)
    _delete_database(tmp_path / "cxos.db")
    for attempt in range(10):
        with pytest.raises(StorageFault, match="was deleted while the app was running"):
            log_signal(sqlite_store, touchpoint_id=touchpoint_id, title=f"Lost friction {attempt}")
    sqlite_store.dispose()
    with pytest.raises(StorageFault, match="is missing; nothing was saved"):
        Store.open(sqlite_store.url)  # the restart says so instead of starting a new, empty database
    assert not (tmp_path / "cxos.db").exists()


def test_a_store_opened_on_a_missing_file_says_so_and_makes_no_file(tmp_path):
    path = tmp_path / "data" / "cxos.db"
    for opening in (lambda: Store.open(f"sqlite:///{path}"), lambda: Store(f"sqlite:///{path}")):
        with pytest.raises(StorageFault) as refused:
            opening()
        assert str(refused.value) == (
            f'The database file {path} is missing; nothing was saved. If this is a first start, run "make run" '
            '(or "python -m cxos init" for an empty one); if it was deleted, restore it from a backup.'
        )
    assert not path.exists() and not path.parent.exists()


def test_only_the_setup_commands_make_a_missing_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cxos.db'}"
    for command in (["export"], ["migrate"], ["route", "--no-model"], ["digest"]):
        assert main(["--database-url", url, *command]) == 2, command
        assert "is missing; nothing was saved" in capsys.readouterr().err
        assert not (tmp_path / "cxos.db").exists()
    assert main(["--database-url", url, "init"]) == 0
    assert "ready" in capsys.readouterr().err
    assert stored_signals(url) == 0  # a migrated, empty database the app now opens
    assert main(["--database-url", url, "init"]) == 0  # again: the database is kept, not replaced
    demo_url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["--database-url", demo_url, "demo", "--signals", "40", "--json"]) == 0
    assert stored_signals(demo_url) == 40


def test_a_read_after_the_database_file_was_deleted_says_so_instead_of_old_data(sqlite_store, tmp_path):
    first_touchpoint(sqlite_store)
    _delete_database(tmp_path / "cxos.db")
    with pytest.raises(StorageFault, match="was deleted while the app was running"), sqlite_store.read():
        pass
    assert not (tmp_path / "cxos.db").exists()


def test_a_write_after_the_database_file_was_replaced_is_refused(sqlite_store, tmp_path):
    touchpoint_id = first_touchpoint(sqlite_store)
    shutil.copy(tmp_path / "cxos.db", tmp_path / "copy.db")
    os.replace(tmp_path / "copy.db", tmp_path / "cxos.db")
    with pytest.raises(StorageFault, match="was replaced while the app was running"):
        log_signal(sqlite_store, touchpoint_id=touchpoint_id)


def test_a_full_database_says_so_and_keeps_nothing(sqlite_store):
    touchpoint_id = first_touchpoint(sqlite_store)
    sqlite_store.engine.dispose()
    # SQLite's own "database or disk is full": the file may not grow by a single page.
    event.listen(
        sqlite_store.engine,
        "connect",
        lambda connection, _record: connection.execute(
            f"PRAGMA max_page_count={connection.execute('PRAGMA page_count').fetchone()[0]}"
        ),
    )
    with pytest.raises(StorageFault, match="disk that holds the database is full") as refused:
        for attempt in range(200):
            log_signal(
                sqlite_store, touchpoint_id=touchpoint_id, description="x" * 9_000, title=f"Full {attempt}"
            )
    assert isinstance(refused.value.__cause__, OperationalError)


def write_until_the_size_limit(url: str, limit: int, outcome) -> None:
    """A child process under `ulimit -f`: write until the database may not grow, report what was raised."""
    store = Store(url)
    touchpoint_id = first_touchpoint(store)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        for attempt in range(500):
            log_signal(store, touchpoint_id=touchpoint_id, description="y" * 9_000, title=f"Big {attempt}")
        outcome.put(("none", ""))
    except Exception as error:
        outcome.put((type(error).__name__, str(error)))


def test_a_file_size_limit_reaches_people_as_a_storage_message(sqlite_store, tmp_path):
    sqlite_store.dispose()
    limit = (tmp_path / "cxos.db").stat().st_size + 64 * 1024
    spawn = multiprocessing.get_context("spawn")
    outcome = spawn.Queue()
    child = spawn.Process(target=write_until_the_size_limit, args=(sqlite_store.url, limit, outcome))
    child.start()
    kind, message = outcome.get(timeout=120)
    child.join()
    assert kind == "StorageFault", message
    assert message in {faults.FULL, faults.IO_ERROR}, message  # EFBIG: SQLite says "disk I/O error"


@pytest.mark.parametrize(
    ("driver_message", "expected"),
    [
        ("disk I/O error", faults.IO_ERROR),
        ("database or disk is full", faults.FULL),
        ("attempt to write a readonly database", faults.READ_ONLY),
        ("unable to open database file", faults.CANNOT_OPEN),
    ],
)
def test_sqlite_storage_errors_become_their_messages(driver_message, expected):
    error = OperationalError("INSERT …", {}, sqlite3.OperationalError(driver_message))
    assert str(faults.storage_fault(error, busy_s=15)) == expected


def test_an_error_that_is_not_about_storage_stays_what_it_is():
    error = OperationalError("SELECT …", {}, sqlite3.OperationalError("no such column: nonsense"))
    assert faults.storage_fault(error, busy_s=15) is None


def read_and_write_as_nobody(url: str, outcome) -> None:
    """A child process that may read the database but not write it (or its folder)."""
    import sqlalchemy.dialects.sqlite  # noqa: F401  (loaded before the switch: nobody cannot read the venv)

    from cxos.signals.writes import create_signal

    if os.geteuid() == 0:
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    store = Store.open(url)
    with store.read() as session:
        teams = len(session.exec(select(Team)).all())
    try:
        create_signal(
            store, signal_in={"title": "Read-only", "source": "ticket", "touchpoint_id": 1}, actor=ADMIN
        )
        outcome.put((teams, "saved"))
    except Exception as error:
        outcome.put((teams, f"{type(error).__name__}: {error}"))


def test_a_read_only_database_can_be_read_and_refuses_writes_with_a_message():
    folder = Path(tempfile.mkdtemp(prefix="cxos_read_only_"))
    try:
        url = f"sqlite:///{folder / 'cxos.db'}"
        store = Store.open(url, create=True)
        load_journey_template(store, actor=ADMIN)
        store.dispose()
        (folder / "cxos.db").chmod(0o444)
        folder.chmod(0o555)  # not even the -shm file beside it can be made
        spawn = multiprocessing.get_context("spawn")
        outcome = spawn.Queue()
        child = spawn.Process(target=read_and_write_as_nobody, args=(url, outcome))
        child.start()
        teams, written = outcome.get(timeout=120)
        child.join()
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
    assert teams > 0
    assert written == f"StorageFault: {faults.READ_ONLY}"


def _read_only_session(connection, _record) -> None:
    connection.execute("SET default_transaction_read_only = on")
    connection.commit()  # a SET is undone with the transaction it ran in


def test_a_read_only_postgresql_database_can_be_read_and_refuses_writes_with_a_message(postgres_database):
    store = Store(postgres_database)
    event.listen(store.engine, "connect", _read_only_session)
    try:
        with store.read() as session:
            session.exec(select(func.count()).select_from(Team)).one()
        with pytest.raises(StorageFault) as refused, store.write() as session:
            session.add(Team(name="Read-only team"))
        assert str(refused.value) == faults.READ_ONLY
    finally:
        store.dispose()
