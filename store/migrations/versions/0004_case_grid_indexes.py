"""indexes for the Cases page's grid: a department's, a channel's and a domain's cases newest
first, and the deadline order (measured on 1,000,000 cases: bench/bench_cases.py)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 23:00:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_department_reported_at": ["department", "reported_at"],
    "ix_cases_domain_channel_reported_at": ["domain", "channel", "reported_at"],
    "ix_cases_channel_reported_at": ["channel", "reported_at"],
    "ix_cases_sla_deadline": ["sla_deadline"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "cases", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="cases")
