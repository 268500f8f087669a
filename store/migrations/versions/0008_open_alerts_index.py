"""an index of the alerts still open to their rule (not cleared) by rule and sensor: the alert
engine looks up each sensor's open alerts on every batch of readings and every offline rule's
on every tick (services/alert_engine.py), and a store keeps every alert it ever raised. Partial
(WHERE cleared_at IS NULL), so it holds the few open alerts, not the history

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 23:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAME = "ix_alerts_open_rule_sensor"
OPEN = "cleared_at IS NULL"


def upgrade() -> None:
    op.create_index(
        NAME,
        "alerts",
        ["rule", "sensor_id"],
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="alerts")
