"""Engines and schema: SQLite tuned for one writer at a time, PostgreSQL for teams, Alembic to head."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from cxos.store.faults import sqlite_file, storage_fault
from cxos.store.locks import MIGRATION_WAIT_S, file_lock, lock_file_beside, postgres_advisory_lock

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000  # a backstop: writers queue on a lock file first (store.py)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # Twenty writer threads plus page readers must not starve on the pool.
    return create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)


def connect_url(url: str) -> str:
    """The URL to connect with: a SQLite file this process may not write is opened read-only, so it can be read.

    SQLite reads a WAL database only where it can make the -shm file beside it; in a folder it may not
    write either, it is told the file is immutable (nobody else may change it then, and nobody can here).
    """
    path = sqlite_file(url)
    if path is None or not path.exists() or os.access(path, os.W_OK):
        return url
    options = "mode=ro"
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-shm").exists():
        options += "&immutable=1"
    return f"sqlite:///file:{quote(str(path))}?{options}&uri=true"


def _sqlite_engine(url: str) -> Engine:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    read_only = connect_url(url) != url
    engine = create_engine(
        connect_url(url),
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take BEGIN out of pysqlite's hands so we can say DEFERRED or IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not read_only:  # a read-only file keeps the journal mode it has
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A write transaction takes the write lock up front, so it never fails half-way
        # with "database is locked" when upgrading a read lock; readers never block.
        immediate = connection.get_execution_options().get("cxos_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", connect_url(url).replace("%", "%%"))
    return cfg


def upgrade_to_head(url: str) -> None:
    """Migrate to the newest revision; replicas starting at once take turns, and the later ones find it done."""
    try:
        with migrations_serialised(url):
            command.upgrade(alembic_config(url), "head")
    except DBAPIError as error:  # a read-only file behind the newest schema, a full disk
        fault = storage_fault(error, busy_s=SQLITE_BUSY_TIMEOUT_MS / 1000)
        if fault is None:
            raise
        raise fault from error


@contextmanager
def migrations_serialised(url: str) -> Iterator[None]:
    """PostgreSQL: an advisory lock held by one replica at a time; SQLite: a lock file beside the database."""
    if url.startswith("postgresql"):
        with postgres_advisory_lock(url):
            yield
        return
    path = sqlite_file(url)
    if path is None:  # in memory: one process only
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(lock_file_beside(path, "migrate"), wait_s=MIGRATION_WAIT_S):
        yield
