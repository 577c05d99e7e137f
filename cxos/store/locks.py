"""Locks across processes: a lock file next to a SQLite database, PostgreSQL's advisory lock for migrations."""

import fcntl
import os
import random
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, pool, text

# One key for every replica of the app on one PostgreSQL database: migrations run one at a time.
MIGRATION_LOCK_KEY = zlib.crc32(b"cxos.store.migrations")
MIGRATION_WAIT_S = 300.0
_FIRST_NAP_S = 0.001
_LONGEST_NAP_S = 0.025


class LockTimeout(Exception):
    """The lock stayed taken for the whole wait."""


def lock_file_beside(database: Path, purpose: str) -> Path:
    """`data/cxos.db` → `data/cxos.db-writer.lock`: beside the database, so every process that opens it finds it."""
    return database.with_name(f"{database.name}-{purpose}.lock")


@contextmanager
def file_lock(path: Path, *, wait_s: float) -> Iterator[float]:
    """Hold an exclusive lock on `path` (created if need be); yields how long it took to get it.

    Waiters poll with jittered naps that grow to 25 ms, so a burst of processes spreads out instead of
    waking in step; the wait is bounded (LockTimeout). Where the lock file cannot be created (a read-only
    folder) nothing can be written anyway, and the database itself says so, so it runs unlocked.
    """
    started = time.monotonic()
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)  # flock works on a descriptor opened for reading, too
        except OSError:
            yield 0.0
            return
    # A descriptor of its own per acquisition: flock belongs to the open file, which a fork or a second
    # thread holding the same descriptor would share.
    try:
        nap = _FIRST_NAP_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started >= wait_s:
                    raise LockTimeout(f"{path} stayed locked for {wait_s:.0f} s") from None
                time.sleep(random.uniform(0, nap))
                nap = min(nap * 2, _LONGEST_NAP_S)
        yield time.monotonic() - started
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def postgres_advisory_lock(url: str, key: int = MIGRATION_LOCK_KEY) -> Iterator[None]:
    """Hold a session-level advisory lock on its own connection; the work itself may use other connections."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()
