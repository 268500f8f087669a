"""the closed loop: case versions and stage bookkeeping, case event statuses

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 16:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_at", store.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("in_progress_at", store.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("to_status", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "detail",
                sa.JSON(none_as_null=True).with_variant(
                    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_column("detail")
        batch_op.drop_column("to_status")
        batch_op.drop_column("from_status")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("in_progress_at")
        batch_op.drop_column("status_at")
