"""an index for the friction log's text search: FTS5 trigrams on SQLite, pg_trgm GIN indexes on PostgreSQL

A text search looks for a substring anywhere in a signal's title, details, account or reference, which no
B-tree index can answer: every search read every row (1.6 s at 100k signals). Trigram indexes answer
substring searches of three or more characters.

- SQLite: `signal_text`, an FTS5 table with the trigram tokenizer over those four columns, its content read
  from `signal` (no second copy of the text), kept up to date by triggers in the writing transaction, so
  every path that writes a signal (the one door, a sync, a sheet pull) keeps it right. A migration that
  later rebuilds `signal` (batch "move and copy") must create these triggers again: the text-search test
  at head fails otherwise.
- PostgreSQL: a GIN `gin_trgm_ops` index on each column, which serves the `ILIKE '%text%'` the search
  sends. `pg_trgm` is a trusted extension (PostgreSQL 13+): a database
  owner may create it. Where it cannot be created the search keeps working, by a scan, and this says so.

Revision ID: t006
Revises: f005
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "t006"
down_revision: str | None = "f005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("title", "description", "account", "external_ref")
_log = logging.getLogger("alembic.runtime.migration")


def _sqlite_upgrade() -> None:
    names = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    op.execute(
        f"CREATE VIRTUAL TABLE signal_text USING fts5({names}, content='signal', content_rowid='id', "
        "tokenize='trigram')"
    )
    forget = f"INSERT INTO signal_text(signal_text, rowid, {names}) VALUES ('delete', old.id, {old});"
    learn = f"INSERT INTO signal_text(rowid, {names}) VALUES (new.id, {new});"
    op.execute(f"CREATE TRIGGER signal_text_insert AFTER INSERT ON signal BEGIN {learn} END")
    op.execute(f"CREATE TRIGGER signal_text_delete AFTER DELETE ON signal BEGIN {forget} END")
    op.execute(
        f"CREATE TRIGGER signal_text_update AFTER UPDATE OF {names} ON signal BEGIN {forget} {learn} END"
    )
    op.execute("INSERT INTO signal_text(signal_text) VALUES ('rebuild')")  # the signals there already


def _postgres_upgrade() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as error:
        _log.warning("pg_trgm could not be created (%s); text search scans instead of using an index", error)
        return
    for column in COLUMNS:
        op.execute(f"CREATE INDEX ix_signal_{column}_trigrams ON signal USING gin ({column} gin_trgm_ops)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("signal_text_insert", "signal_text_delete", "signal_text_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS signal_text")
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_signal_{column}_trigrams")
