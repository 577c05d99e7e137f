"""Shared fixtures: stores on SQLite and PostgreSQL, a journey, actors, and a seeded demo database for AppTest."""

import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cxos import clock
from cxos.demo.build import build_demo
from cxos.identity import Actor
from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.routing.model_training import train_and_store
from cxos.store.store import Store
from cxos.vocabulary import Role
from tests import signal_door

ROOT = Path(__file__).resolve().parent.parent
# No background training in the suite: a test trains the owner model when it needs one (demo_template does).
os.environ.setdefault("CXOS_MODEL_WORKER", "off")
POSTGRES_URL = os.environ.get("CXOS_TEST_POSTGRES_URL")
# The suite's "now": fixed, so no test depends on the day it runs; the demo ends an hour before it.
# CXOS_TEST_NOW (ISO 8601, with its offset) moves it, to prove exactly that: the suite passes on any date.
TEST_NOW = datetime.fromisoformat(os.environ.get("CXOS_TEST_NOW", "2026-11-16T13:00:00+00:00")).astimezone(
    UTC
)
DEMO_ANCHOR = (TEST_NOW - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)

ADMIN = Actor("Ada Admin", Role.ADMIN)
COUNCIL = Actor("Priya Shah", Role.COUNCIL)
CONTRIBUTOR = Actor("Carl Contributor", Role.CONTRIBUTOR)
VIEWER = Actor("Vera Viewer", Role.VIEWER)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own on the test server, created for this run and dropped after it."""
    if not POSTGRES_URL:
        if os.environ.get("CXOS_REQUIRE_POSTGRES"):
            pytest.fail("CXOS_REQUIRE_POSTGRES is set but CXOS_TEST_POSTGRES_URL is not")
        pytest.skip("PostgreSQL half skipped: set CXOS_TEST_POSTGRES_URL (an admin URL) to run it")
    name = f"cxos_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        if os.environ.get("CXOS_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL half skipped: cannot create a database at CXOS_TEST_POSTGRES_URL ({error})")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    Store.open(url).dispose()  # migrate once; tests truncate instead of re-creating
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Iterator[Store]:
    """An empty, migrated store on each backend (the contract suite runs on both)."""
    yield from open_test_store(request, tmp_path)


def open_test_store(request, tmp_path) -> Iterator[Store]:
    """An empty store of the kind `request.param` names; a Sheets store is checked against its sheet afterwards."""
    if request.param == "sheets":
        yield from _sheets_store(request, tmp_path)
        return
    if request.param == "sqlite":
        opened = Store.open(f"sqlite:///{tmp_path / 'cxos.db'}", create=True)
    else:
        opened = Store(request.getfixturevalue("postgres_database"))
        with opened.engine.begin() as connection:
            tables = connection.execute(
                text(
                    "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalar()
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield opened
    opened.dispose()


@pytest.fixture(scope="session")
def sheets_key() -> dict:
    """One service-account key (a real RSA key) for every Sheets test; making one costs ~0.1 s."""
    from cxos.store.sheets.fake_api import service_account_info

    return service_account_info()


def open_fake_sheets_store(server, key: dict, cache_path: Path, spreadsheet_id: str = "contract", **options):
    """A Sheets store on the offline fake, through the real gspread client; retries do not sleep."""
    from cxos.store.sheets.store import open_sheets_store

    server.create_spreadsheet(spreadsheet_id)
    return open_sheets_store(
        f"gsheets://{spreadsheet_id}",
        service_account=key,
        transport=server,
        cache_path=cache_path,
        sleep=lambda seconds: None,
        **options,
    )


def _sheets_store(request, tmp_path) -> Iterator[Store]:
    from cxos.store.sheets.fake_api import FakeSheetsServer

    server = FakeSheetsServer(quota_per_minute=100_000)
    opened = open_fake_sheets_store(server, request.getfixturevalue("sheets_key"), tmp_path / "working.db")
    opened.fake_server = server  # for tests that reach into the sheet
    yield opened
    # What the app acknowledged must be in the sheet itself: a fresh copy read from it holds the same rows.
    assert opened.status.queued == 0, "a change was left queued, not in the sheet"
    fresh = open_fake_sheets_store(server, request.getfixturevalue("sheets_key"), tmp_path / "fresh.db")
    assert table_checksums(fresh) == table_checksums(opened), (
        "the sheet differs from what the app acknowledged"
    )
    fresh.dispose()
    opened.dispose()


def table_checksums(store: Store) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every table, in a form that is the same on every backend."""
    import hashlib
    import json

    from sqlalchemy import select

    from cxos.store.sheets import layout

    sums = {}
    with store.read() as session:
        for table in layout.tables():
            digest = hashlib.sha256()
            count = 0
            for row in session.execute(select(table).order_by(table.c.id)).mappings():
                digest.update(json.dumps(layout.canonical(table, row), default=str).encode())
                count += 1
            sums[table.name] = (count, digest.hexdigest())
    return sums


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'cxos.db'}", create=True)
    yield opened
    opened.dispose()


@pytest.fixture
def journey_store(store) -> Store:
    load_journey_template(store, actor=ADMIN)
    return store


@pytest.fixture
def touchpoint_id(journey_store) -> int:
    with journey_store.read() as session:
        return touchpoint_options(session)[0].id


@pytest.fixture(scope="session", autouse=True)
def fixed_clock() -> Iterator[datetime]:
    """Every in-process test reads TEST_NOW as the time it started, then real seconds go by (order is kept)."""
    started = time.monotonic()
    clock.use_clock(lambda: TEST_NOW + timedelta(seconds=time.monotonic() - started))
    yield TEST_NOW
    clock.use_clock(None)


@pytest.fixture(scope="session", autouse=True)
def signal_door_guard() -> Iterator[None]:
    """The one-door guard on every engine for the whole run (see tests/signal_door.py)."""
    with signal_door.installed():
        yield


@pytest.fixture(scope="session")
def empty_app_database(tmp_path_factory) -> str:
    """One empty, migrated SQLite file: the database a test gets when it did not choose one."""
    path = tmp_path_factory.mktemp("default-db") / "cxos.db"
    Store.open(f"sqlite:///{path}", create=True).dispose()
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def never_the_developers_database(empty_app_database, monkeypatch) -> None:
    """No test reads or writes data/cxos.db, the database `make run` keeps on this checkout.

    Without this, a test whose page opened the default database passed on a laptop that had run
    `make run` and failed on a clean checkout, where the file does not exist. A test that wants a
    database of its own sets CXOS_DATABASE_URL after this (demo_db, trained_demo_db do).
    """
    monkeypatch.setenv("CXOS_DATABASE_URL", empty_app_database)


@pytest.fixture(autouse=True)
def a_fresh_shared_fake_sheets_server() -> Iterator[None]:
    """The process-wide fake Sheets server (gsheets+fake://) starts each test with its quota unspent.

    It keeps Google's 60 reads a minute; tests that pulled sheets in the same minute used each other's
    quota, and a sheet pull failed with "quota used up" only when enough of them ran first.
    """
    yield
    from cxos.store.sheets import fake_api

    with fake_api._SHARED_LOCK:
        fake_api._SHARED.clear()


@pytest.fixture(autouse=True)
def the_real_main_module() -> Iterator[None]:
    """Put back the `__main__` module a Streamlit AppTest replaced with the page it ran.

    Streamlit's script runner installs the page as `sys.modules["__main__"]` and leaves it there.
    A "spawn" child process re-runs the parent's `__main__` file before its target, so after any
    AppTest every spawned child ran a page script in bare mode and died before reporting.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def one_door_for_signals(request, signal_door_guard) -> Iterator[None]:
    """A test fails when the app wrote the signal table anywhere but cxos/signals/writes.py meanwhile.

    A test of a bulk loader itself (it writes whatever table it is handed) says so with
    `@pytest.mark.outside_signal_door("why")`.
    """
    if request.node.get_closest_marker("outside_signal_door"):
        with signal_door.bypassed():
            yield
        return
    yield
    found = signal_door.take_violations()
    if found:
        pytest.fail("signal rows written outside the door:\n" + "\n".join(found), pytrace=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A small seeded demo database, built once; tests get their own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo_store = Store.open(f"sqlite:///{path}", create=True)
    build_demo(demo_store, signals=400, seed=3, anchor=DEMO_ANCHOR)
    with demo_store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    demo_store.dispose()
    return path


@pytest.fixture(scope="session")
def trained_demo_template(demo_template, tmp_path_factory) -> Path:
    """The demo database with the owner model trained and stored, as the app's worker leaves it."""
    path = tmp_path_factory.mktemp("trained_demo") / "demo.db"
    shutil.copy(demo_template, path)
    trained = Store.open(f"sqlite:///{path}")
    train_and_store(trained)
    with trained.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    trained.dispose()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch) -> str:
    """A private copy of the demo database (no owner model stored yet), selected through CXOS_DATABASE_URL."""
    return _app_copy(demo_template, tmp_path, monkeypatch)


@pytest.fixture
def trained_demo_db(trained_demo_template, tmp_path, monkeypatch) -> str:
    """`demo_db` with the owner model stored: signals no rule takes may be routed by the model on arrival."""
    return _app_copy(trained_demo_template, tmp_path, monkeypatch)


def _app_copy(template: Path, tmp_path: Path, monkeypatch) -> str:
    import streamlit as st

    path = tmp_path / "app.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CXOS_DATABASE_URL", url)
    monkeypatch.delenv("CXOS_LOCAL_USER", raising=False)
    # Streamlit's caches are process-wide; a test must never see the previous test's database.
    st.cache_data.clear()
    st.cache_resource.clear()
    return url
