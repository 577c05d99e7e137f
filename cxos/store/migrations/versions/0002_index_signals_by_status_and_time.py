"""index signals by status and time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:20:00.290923
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.create_index('ix_signal_status_created', ['status', 'created_at', 'id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.drop_index('ix_signal_status_created')


