"""council actions, import profiles, settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 10:47:03.479411
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('import_profile',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('mapping', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('built_in', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_profile')),
    sa.UniqueConstraint('name', name=op.f('uq_import_profile_name'))
    )
    op.create_table('setting',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setting')),
    sa.UniqueConstraint('key', name=op.f('uq_setting_key'))
    )
    op.create_table('council_action',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_team_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=True),
    sa.Column('failure_mode_id', sa.Integer(), nullable=True),
    sa.Column('fix_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['failure_mode_id'], ['failure_mode.id'], name=op.f('fk_council_action_failure_mode_id_failure_mode')),
    sa.ForeignKeyConstraint(['fix_id'], ['fix.id'], name=op.f('fk_council_action_fix_id_fix')),
    sa.ForeignKeyConstraint(['owner_team_id'], ['team.id'], name=op.f('fk_council_action_owner_team_id_team')),
    sa.ForeignKeyConstraint(['session_id'], ['council_session.id'], name=op.f('fk_council_action_session_id_council_session')),
    sa.ForeignKeyConstraint(['signal_id'], ['signal.id'], name=op.f('fk_council_action_signal_id_signal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_action'))
    )
    with op.batch_alter_table('council_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_action_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_council_action_status'), ['status'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('council_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_action_status'))
        batch_op.drop_index(batch_op.f('ix_council_action_session_id'))

    op.drop_table('council_action')
    op.drop_table('setting')
    op.drop_table('import_profile')

