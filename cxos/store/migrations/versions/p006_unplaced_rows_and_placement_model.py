"""imported rows held until they are placed at a touchpoint, and the stored placement model

Revision ID: p006
Revises: f005
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "p006"
down_revision: str | None = "f005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "placement_model",
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("trained_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("confirmed_routes", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("teams", sa.Integer(), nullable=False),
        sa.Column("training_seconds", sa.Float(), nullable=True),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_model")),
    )
    with op.batch_alter_table("placement_model", schema=None) as batch_op:
        batch_op.create_index("ix_placement_model_state", ["state", "id"], unique=False)
    op.create_table(
        "unplaced_row",
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_ref", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("reported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("guess_touchpoint_id", sa.Integer(), nullable=True),
        sa.Column("guess_confidence", sa.Float(), nullable=True),
        sa.Column("placed_signal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["guess_touchpoint_id"],
            ["touchpoint.id"],
            name=op.f("fk_unplaced_row_guess_touchpoint_id_touchpoint"),
        ),
        sa.ForeignKeyConstraint(
            ["placed_signal_id"], ["signal.id"], name=op.f("fk_unplaced_row_placed_signal_id_signal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unplaced_row")),
    )
    with op.batch_alter_table("unplaced_row", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unplaced_row_external_ref"), ["external_ref"], unique=False)
        batch_op.create_index("ix_unplaced_row_waiting", ["placed_signal_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unplaced_row", schema=None) as batch_op:
        batch_op.drop_index("ix_unplaced_row_waiting")
        batch_op.drop_index(batch_op.f("ix_unplaced_row_external_ref"))
    op.drop_table("unplaced_row")
    with op.batch_alter_table("placement_model", schema=None) as batch_op:
        batch_op.drop_index("ix_placement_model_state")
    op.drop_table("placement_model")
