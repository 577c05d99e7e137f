"""CX drivers explained: the phrases that triggered each detected driver, and the drivers set by hand

Two nullable text columns on signal (JSON objects, see cxos/signals/drivers.py). Existing signals keep their
driver flags as they are, read as set by hand (no evidence); nothing is re-detected here.

Revision ID: d006
Revises: i006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d006"
down_revision: str | None = "i006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: no table copy, the signal table's indexes stay as they are.
    op.add_column("signal", sa.Column("driver_evidence", sa.Text(), nullable=True))
    op.add_column("signal", sa.Column("driver_labels", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signal", schema=None) as batch_op:  # SQLite drops a column by copying the table
        batch_op.drop_column("driver_labels")
        batch_op.drop_column("driver_evidence")
