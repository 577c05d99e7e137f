"""the handoffs summaries: every team's backlog now, owner and status moves per day

Revision ID: s007
Revises: o006
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from cxos.store import handoff_summary

revision: str = 's007'
down_revision: str | None = 'o006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'team_backlog',
        sa.Column('team_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('open_signals', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('team_id', name=op.f('pk_team_backlog')),
    )
    op.create_table(
        'handoff_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('from_value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('to_value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('team_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            'day', 'kind', 'from_value', 'to_value', 'team_id', name=op.f('pk_handoff_day')
        ),
    )
    handoff_summary.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table('handoff_day')
    op.drop_table('team_backlog')
