"""import checkpoints: how far each import source has read (resumable imports, incremental polls)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 22:20:00
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_checkpoints",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_import_checkpoints")),
        sa.UniqueConstraint("source", name=op.f("uq_import_checkpoints_source")),
    )


def downgrade() -> None:
    op.drop_table("import_checkpoints")
