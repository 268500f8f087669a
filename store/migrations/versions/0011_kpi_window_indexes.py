"""indexes for the KPIs' windows: cases by when they closed (on-time closure, satisfaction and
the handling times of the cases closed in a range) and case events by action and time (returns
and reopenings in a range). Without them each such KPI read every case or every event: on
300,000 cases 1-2 s a figure, over 2 s for the events (the KPI page, issue 11).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:00:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_closed_at": ("cases", ["closed_at"]),
    "ix_case_events_action_at": ("case_events", ["action", "at"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
