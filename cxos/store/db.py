"""Engines and schema: SQLite tuned for one writer at a time, PostgreSQL for teams, Alembic to head."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

from cxos.store.faults import sqlite_file
from cxos.store.locks import MIGRATION_WAIT_S, file_lock, lock_file_beside, postgres_advisory_lock

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000  # a backstop: writers queue on a lock file first (store.py)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # Twenty writer threads plus page readers must not starve on the pool.
    return create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take BEGIN out of pysqlite's hands so we can say DEFERRED or IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
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
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_to_head(url: str) -> None:
    """Migrate to the newest revision; replicas starting at once take turns, and the later ones find it done."""
    with migrations_serialised(url):
        command.upgrade(alembic_config(url), "head")


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
