"""one signal per (source, external reference): a partial unique index, after renaming existing copies

Two imports of the same export at once, on PostgreSQL, each found no signal with a reference and each
stored one. The database now refuses the second. Rows that already break the rule keep the first (lowest
id) signal's reference as it is; each later copy keeps its reference with "#duplicate-<its id>-of-<first
id>" appended (so nothing is lost and the copy can be found and merged), and its version is bumped so an
edit from a copy read before the migration is refused as stale.

Revision ID: s005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_signal_source_external_ref"
WHERE = sa.text("external_ref IS NOT NULL")
FIRST_OF_ITS_REFERENCE = (
    "(SELECT MIN(earlier.id) FROM signal AS earlier "
    "WHERE earlier.source = signal.source AND earlier.external_ref = signal.external_ref)"
)


def upgrade() -> None:
    op.execute(
        "UPDATE signal SET "
        "external_ref = external_ref || '#duplicate-' || CAST(id AS VARCHAR) "
        f"|| '-of-' || CAST({FIRST_OF_ITS_REFERENCE} AS VARCHAR), "
        "version = version + 1 "
        f"WHERE external_ref IS NOT NULL AND id > {FIRST_OF_ITS_REFERENCE}"
    )
    op.create_index(
        INDEX, "signal", ["source", "external_ref"], unique=True, sqlite_where=WHERE, postgresql_where=WHERE
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="signal")
