"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 09:56:17.333874
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('council_session',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_session'))
    )
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('from_value', sa.Text(), nullable=True),
    sa.Column('to_value', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_at'), ['at'], unique=False)
        batch_op.create_index('ix_event_entity', ['entity', 'entity_id', 'id'], unique=False)

    op.create_table('metric_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('imported_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_value')),
    sa.UniqueConstraint('metric', 'period', name=op.f('uq_metric_value_metric_period'))
    )
    op.create_table('root_cause_layer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_root_cause_layer')),
    sa.UniqueConstraint('name', name=op.f('uq_root_cause_layer_name'))
    )
    op.create_table('self_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('assessed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('assessed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_assessment'))
    )
    op.create_table('stage',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage')),
    sa.UniqueConstraint('name', name=op.f('uq_stage_name'))
    )
    op.create_table('team',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('name', name=op.f('uq_team_name'))
    )
    op.create_table('rule',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('match', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('owner_team_id', sa.Integer(), nullable=True),
    sa.Column('root_cause', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['owner_team_id'], ['team.id'], name=op.f('fk_rule_owner_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule'))
    )
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_position'), ['position'], unique=False)

    op.create_table('touchpoint',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('component', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('tool', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], name=op.f('fk_touchpoint_stage_id_stage')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_touchpoint_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touchpoint')),
    sa.UniqueConstraint('stage_id', 'name', name=op.f('uq_touchpoint_stage_id_name'))
    )
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_touchpoint_stage_id'), ['stage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_touchpoint_team_id'), ['team_id'], unique=False)

    op.create_table('failure_mode',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('upstream_cause', sa.Text(), nullable=False),
    sa.Column('root_cause', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('owner_team_id', sa.Integer(), nullable=True),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['merged_into_id'], ['failure_mode.id'], name=op.f('fk_failure_mode_merged_into_id_failure_mode')),
    sa.ForeignKeyConstraint(['owner_team_id'], ['team.id'], name=op.f('fk_failure_mode_owner_team_id_team')),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_failure_mode_touchpoint_id_touchpoint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failure_mode'))
    )
    with op.batch_alter_table('failure_mode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failure_mode_owner_team_id'), ['owner_team_id'], unique=False)

    op.create_table('fix',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('failure_mode_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_team_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('what_changed', sa.Text(), nullable=False),
    sa.Column('shipped_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['failure_mode_id'], ['failure_mode.id'], name=op.f('fk_fix_failure_mode_id_failure_mode')),
    sa.ForeignKeyConstraint(['owner_team_id'], ['team.id'], name=op.f('fk_fix_owner_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fix'))
    )
    with op.batch_alter_table('fix', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fix_failure_mode_id'), ['failure_mode_id'], unique=False)

    op.create_table('signal',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('arr', sa.Integer(), nullable=True),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reporter', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('external_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('driver_effort', sa.Boolean(), nullable=False),
    sa.Column('driver_emotion', sa.Boolean(), nullable=False),
    sa.Column('driver_answer_ai', sa.Boolean(), nullable=False),
    sa.Column('driver_answer_human', sa.Boolean(), nullable=False),
    sa.Column('driver_product', sa.Boolean(), nullable=False),
    sa.Column('driver_policy', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('owner_team_id', sa.Integer(), nullable=True),
    sa.Column('routed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('routed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('root_cause', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('failure_mode_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('client_token', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['signal.id'], name=op.f('fk_signal_duplicate_of_id_signal')),
    sa.ForeignKeyConstraint(['failure_mode_id'], ['failure_mode.id'], name=op.f('fk_signal_failure_mode_id_failure_mode')),
    sa.ForeignKeyConstraint(['owner_team_id'], ['team.id'], name=op.f('fk_signal_owner_team_id_team')),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_signal_touchpoint_id_touchpoint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal')),
    sa.UniqueConstraint('client_token', name=op.f('uq_signal_client_token'))
    )
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signal_account'), ['account'], unique=False)
        batch_op.create_index('ix_signal_created_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_external_ref'), ['external_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_failure_mode_id'), ['failure_mode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_owner_team_id'), ['owner_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_status'), ['status'], unique=False)
        batch_op.create_index('ix_signal_status_owner', ['status', 'owner_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_touchpoint_id'), ['touchpoint_id'], unique=False)

    op.create_table('loop_notice',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fix_id', sa.Integer(), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sent_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['fix_id'], ['fix.id'], name=op.f('fk_loop_notice_fix_id_fix')),
    sa.ForeignKeyConstraint(['signal_id'], ['signal.id'], name=op.f('fk_loop_notice_signal_id_signal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loop_notice')),
    sa.UniqueConstraint('fix_id', 'recipient', name=op.f('uq_loop_notice_fix_id_recipient'))
    )
    with op.batch_alter_table('loop_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loop_notice_fix_id'), ['fix_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('loop_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loop_notice_fix_id'))

    op.drop_table('loop_notice')
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signal_touchpoint_id'))
        batch_op.drop_index('ix_signal_status_owner')
        batch_op.drop_index(batch_op.f('ix_signal_status'))
        batch_op.drop_index(batch_op.f('ix_signal_source'))
        batch_op.drop_index(batch_op.f('ix_signal_owner_team_id'))
        batch_op.drop_index(batch_op.f('ix_signal_failure_mode_id'))
        batch_op.drop_index(batch_op.f('ix_signal_external_ref'))
        batch_op.drop_index('ix_signal_created_id')
        batch_op.drop_index(batch_op.f('ix_signal_account'))

    op.drop_table('signal')
    with op.batch_alter_table('fix', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fix_failure_mode_id'))

    op.drop_table('fix')
    with op.batch_alter_table('failure_mode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failure_mode_owner_team_id'))

    op.drop_table('failure_mode')
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_touchpoint_team_id'))
        batch_op.drop_index(batch_op.f('ix_touchpoint_stage_id'))

    op.drop_table('touchpoint')
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_position'))

    op.drop_table('rule')
    op.drop_table('team')
    op.drop_table('stage')
    op.drop_table('self_assessment')
    op.drop_table('root_cause_layer')
    op.drop_table('metric_value')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_entity')
        batch_op.drop_index(batch_op.f('ix_event_at'))

    op.drop_table('event')
    op.drop_table('council_session')

