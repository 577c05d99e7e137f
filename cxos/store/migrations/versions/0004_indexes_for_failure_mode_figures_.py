"""indexes for failure-mode figures, handoffs and stale items

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 10:51:24.538342
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_field_at', ['field', 'at'], unique=False)
        batch_op.create_index('ix_event_field_entity', ['field', 'entity', 'entity_id', 'at'], unique=False)

    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.create_index('ix_signal_mode_created', ['failure_mode_id', 'created_at', 'account', 'arr'], unique=False)
        batch_op.create_index('ix_signal_status_updated', ['status', 'updated_at'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.drop_index('ix_signal_status_updated')
        batch_op.drop_index('ix_signal_mode_created')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_field_entity')
        batch_op.drop_index('ix_event_field_at')


