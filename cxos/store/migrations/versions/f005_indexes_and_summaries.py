"""data versions, the owner-history summary, and indexes for windowed figures

Revision ID: f005
Revises: m005
Create Date: 2026-12-01 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from cxos.store import summaries

revision: str = 'f005'
down_revision: str | None = 'm005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'data_version',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('token', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_version')),
    )
    op.create_table(
        'owner_history',
        sa.Column('signal_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('owner_events', sa.Integer(), nullable=False),
        sa.Column('first_route_id', sa.Integer(), nullable=True),
        sa.Column('first_team', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('first_routed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('decider', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('kept', sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint('signal_id', name=op.f('pk_owner_history')),
    )
    with op.batch_alter_table('owner_history', schema=None) as batch_op:
        batch_op.create_index('ix_owner_history_owner_events', ['owner_events'], unique=False)
        batch_op.create_index(
            'ix_owner_history_routed', ['first_routed_at', 'decider', 'first_team', 'kept'], unique=False
        )
    summaries.rebuild(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('owner_history', schema=None) as batch_op:
        batch_op.drop_index('ix_owner_history_routed')
        batch_op.drop_index('ix_owner_history_owner_events')
    op.drop_table('owner_history')
    op.drop_table('data_version')
