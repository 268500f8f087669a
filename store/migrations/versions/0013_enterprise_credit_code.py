"""enterprises carry their unified social credit code (统一社会信用代码, GB 32100-2015), the
identifier every register and the data-sharing platform know them by: the enterprise profile
is searched by it and the platform's rows are matched on it (issue 12).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(sa.Column("credit_code", sa.String(18), nullable=True))
    op.create_index("ix_enterprises_credit_code", "enterprises", ["credit_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_enterprises_credit_code", table_name="enterprises")
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_column("credit_code")
