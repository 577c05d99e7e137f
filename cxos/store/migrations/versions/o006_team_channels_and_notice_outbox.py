"""team channels and the notice outbox

Revision ID: o006
Revises: d006
Create Date: 2026-12-01 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel.sql.sqltypes.AutoString; mypy sees it through this import
from alembic import op

revision: str = "o006"
down_revision: str | None = "d006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _versioned() -> list[sa.Column]:
    return [
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "team_channel",
        *_versioned(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("slack_webhook_url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_channel_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_channel")),
        sa.UniqueConstraint("team_id", name=op.f("uq_team_channel_team_id")),
        info={"mirrored": False},
    )
    op.create_table(
        "notice_outbox",
        *_versioned(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_notice_outbox_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notice_outbox_dedupe_key")),
        info={"mirrored": False},
    )
    with op.batch_alter_table("notice_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_notice_outbox_due", ["sent_at", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_outbox_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_outbox_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_outbox_team_id"))
        batch_op.drop_index(batch_op.f("ix_notice_outbox_batch"))
        batch_op.drop_index("ix_notice_outbox_due")
    op.drop_table("notice_outbox")
    op.drop_table("team_channel")
