"""embed tokens: signed, expiring tokens that show one panel in another portal's iframe
(issue 13, item 4); the row lets an admin list and revoke a token at once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:15:00
"""

import sqlalchemy as sa
from alembic import op

from store.types import JsonType, UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embed_tokens",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("panel", sa.String(48), nullable=False),
        sa.Column("params", JsonType, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_embed_tokens")),
    )


def downgrade() -> None:
    op.drop_table("embed_tokens")
