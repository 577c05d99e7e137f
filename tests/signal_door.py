"""The one-door guard: during the suite, only cxos/signals/writes.py may insert, change or delete signal rows.

Every statement the app sends is looked at (SQLAlchemy's `before_cursor_execute` on every engine, and
psycopg's COPY, which the bulk loader uses on PostgreSQL and SQLAlchemy never sees). A write to the
`signal` table is allowed when a frame of cxos/signals/writes.py is on the Python stack; otherwise the
innermost frame of the app's own code (cxos/, components/, pages/, app.py) is named as the offender.
A write made by a test itself, as set-up (backdating a row, say), is not a change the app makes and
is allowed; so are the replication modules below, which copy rows verbatim.
"""

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
DOOR = "cxos/signals/writes.py"
APP = ("cxos/", "components/", "pages/", "app.py")
# Copying rows verbatim is not a signal change: these modules may write the table, each for its reason.
REPLICATION = {
    "cxos/store/sync.py": "copies every table from one store to another, row for row (python -m cxos sync)",
    "cxos/store/sheets/pull.py": "loads the rows read from the Google Sheet into the Sheets store's own copy",
    "cxos/store/migrations/": "schema migrations (Alembic) own the table itself",
}
# Transaction plumbing: it commits (and so flushes) what its caller wrote; the caller is the writer.
PLUMBING = ("cxos/store/store.py", "cxos/store/db.py", "cxos/store/sheets/store.py")
SIGNAL_WRITE = re.compile(
    r"""^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|COPY)
        \s+(?:"?main"?\.)?"?signal"?(?=[\s(]|$)""",
    re.IGNORECASE | re.VERBOSE,
)


class SignalDoorViolation(AssertionError):
    """A module other than cxos/signals/writes.py wrote the signal table."""


violations: list[str] = []
_bypass = 0  # > 0 while a test that exercises a bulk loader itself runs (marker `outside_signal_door`)


def is_signal_write(statement: str) -> bool:
    return bool(SIGNAL_WRITE.match(statement))


def offender(files: list[str]) -> str | None:
    """Given the stack's files (innermost first, relative to the repository), the app module to blame."""
    app = [f for f in files if f.startswith(APP) and not f.startswith(PLUMBING)]
    if any(f == DOOR for f in app):
        return None
    if any(f.startswith(tuple(REPLICATION)) for f in app):
        return None
    return app[0] if app else None  # no app frame: the test's own set-up


def stack_files(frame: FrameType | None) -> list[str]:
    files = []
    root = f"{ROOT}/"
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(root):
            files.append(name[len(root) :])
        frame = frame.f_back
    return files


def check(statement: str) -> None:
    """Record and raise when `statement` writes the signal table from outside the door."""
    if _bypass or not is_signal_write(statement):
        return
    files = stack_files(sys._getframe(1))
    blamed = offender(files)
    if blamed is None:
        return
    message = (
        f"{blamed} wrote the signal table ({' '.join(statement.split()[:3])} …) outside "
        f"{DOOR}; stack: {' < '.join(f for f in files if f.startswith(APP))}"
    )
    violations.append(message)
    raise SignalDoorViolation(message)


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
    check(statement)


@contextmanager
def installed() -> Iterator[None]:
    """The guard on every engine (and on psycopg's COPY) for as long as the block runs."""
    event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
    restore = _watch_copy()
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", _before_cursor_execute)
        restore()


def _watch_copy():
    try:
        import psycopg
    except ImportError:  # no PostgreSQL driver: nothing to watch
        return lambda: None
    original = psycopg.Cursor.copy

    def copy(self, statement: Any, *args: Any, **kwargs: Any):
        check(statement if isinstance(statement, str) else str(statement))
        return original(self, statement, *args, **kwargs)

    psycopg.Cursor.copy = copy

    def restore() -> None:
        psycopg.Cursor.copy = original

    return restore


@contextmanager
def bypassed() -> Iterator[None]:
    global _bypass
    _bypass += 1
    try:
        yield
    finally:
        _bypass -= 1


def take_violations() -> list[str]:
    """The violations recorded so far, forgotten once read."""
    taken = list(violations)
    violations.clear()
    return taken
