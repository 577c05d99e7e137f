"""shared council state: the open session's step, when the step started, and who presents

Revision ID: c005
Revises: s005
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c005"
down_revision: str | None = "s005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("council_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_step", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("step_started_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("presenter", sa.String(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("council_session", schema=None) as batch_op:
        batch_op.drop_column("presenter")
        batch_op.drop_column("step_started_at")
        batch_op.drop_column("current_step")
