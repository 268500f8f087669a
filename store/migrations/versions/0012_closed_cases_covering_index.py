"""the index of cases by closing time carries what the KPIs of closed cases read (department,
status, the stage times, the deadline, the satisfaction score), so on-time closure,
satisfaction and the handling times over a range are read from the index alone. Measured on
1,000,000 cases in SQLite: on-time closure over 30 days 700 ms → 29 ms, mean time to close
389 → 78 ms, its 90th percentile 709 → 180 ms (each of 30,000 rows had been looked up in the
table).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:00:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = ["closed_at", "department", "status", "reported_at", "sla_deadline", "satisfaction",
           "dispatched_at", "handled_at", "verified_at"]  # fmt: skip


def upgrade() -> None:
    op.drop_index("ix_cases_closed_at", table_name="cases")
    op.create_index("ix_cases_closed_covering", "cases", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_closed_covering", table_name="cases")
    op.create_index("ix_cases_closed_at", "cases", ["closed_at"], unique=False)
