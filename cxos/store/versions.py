"""Data versions: which tables a write transaction changed, and a fresh token for each, stored in that transaction.

Loaders are keyed by the tokens of the tables they read (`current_tokens`), so a write refreshes what it
changed, in this process and in every other one on the same database, and nothing else. The tables a
transaction changed are noticed at the cursor (every INSERT, UPDATE and DELETE, ORM, Core or bulk), so no
write path has to remember to say so. Events are versioned with the entity they describe: every change writes
its event in the change's transaction (invariant 2), so a loader of signal events keys on `signal`.
"""

import re
import uuid
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlmodel import Session

from cxos.models import DataVersion, table_of

TABLE = table_of(DataVersion).name
_TOUCHED = "cxos_touched_tables"
_WRITE = re.compile(r'^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_BUMP = text(
    f"INSERT INTO {TABLE} (name, token) VALUES (:name, :token) "
    "ON CONFLICT (name) DO UPDATE SET token = excluded.token"
)


def track_writes(engine: Engine) -> None:
    """Note, on each connection, the tables its statements change (read back by `bump_changed`)."""

    @event.listens_for(engine, "after_cursor_execute")
    def _note(connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        written = _WRITE.match(statement)
        if written and written.group(1) != TABLE:
            note_written(connection, written.group(1))


def note_written(connection: Connection, table: str) -> None:
    """For a write the cursor does not see (PostgreSQL's COPY goes to the driver directly)."""
    connection.info.setdefault(_TOUCHED, set()).add(table)


def _connection(where: Session | Connection) -> Connection:
    return where.connection() if isinstance(where, Session) else where


def forget_changes(where: Session | Connection) -> None:
    """Start a write transaction with nothing noted (a rolled-back one may have left names behind)."""
    _connection(where).info.pop(_TOUCHED, None)


def changed_so_far(where: Session | Connection) -> set[str]:
    """The tables this transaction has changed up to now (flushed statements), without forgetting them."""
    if isinstance(where, Session):
        where.flush()
    return set(_connection(where).info.get(_TOUCHED, set()))


def bump_changed(where: Session | Connection) -> set[str]:
    """Give every table this transaction changed a new token, in the transaction; the names bumped."""
    if isinstance(where, Session):
        where.flush()
    connection = _connection(where)
    touched: set[str] = connection.info.pop(_TOUCHED, set())
    for name in sorted(
        touched
    ):  # one order everywhere: concurrent writers never wait on each other in a cycle
        connection.execute(_BUMP, {"name": name, "token": uuid.uuid4().hex})
    return touched


def current_tokens(session: Session) -> dict[str, str]:
    """Every table's token: one small query, cheap enough for each rerun."""
    return dict(session.execute(text(f"SELECT name, token FROM {TABLE}")).tuples().all())
