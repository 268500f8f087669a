"""an index for a department's cases by deadline: a department head sorting the Cases grid by
deadline (measured on 1,000,000 cases in SQLite: the department's 262,306 cases read and sorted,
250-290 ms; with the index read in order, 0.5 ms; bench/bench_cases.py)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 02:00:00
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NAME = "ix_cases_department_sla_deadline"


def upgrade() -> None:
    op.create_index(NAME, "cases", ["department", "sla_deadline"], unique=False)


def downgrade() -> None:
    op.drop_index(NAME, table_name="cases")
