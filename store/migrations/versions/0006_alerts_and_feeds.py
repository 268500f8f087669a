"""alerts worked as a lifecycle and readings kept bounded: alert versions, answering department,
clearing time and message; alert events (their pk is the live stream's sequence number); a
case's link back to the alert it came from; readings unique per sensor, quantity and time (a
duplicate is dropped by the store itself) and hourly aggregates for readings past retention

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:35:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, store.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("department", sa.String(length=32), nullable=True))
        batch_op.add_column(_time("cleared_at"))
        batch_op.add_column(sa.Column("detail", _json(), nullable=True))
        batch_op.create_index("ix_alerts_department_state", ["department", "state"], unique=False)
        batch_op.create_index("ix_alerts_raised_at", ["raised_at"], unique=False)
    op.create_table(
        "alert_events",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        _time("at", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("detail", _json(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_alert_events")),
    )
    op.create_index("ix_alert_events_alert_id", "alert_events", ["alert_id"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_id", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_cases_alert_id", ["alert_id"], unique=False)
    op.drop_index("ix_readings_sensor_quantity_at", table_name="readings")
    op.create_index(
        "ix_readings_sensor_quantity_at", "readings", ["sensor_id", "quantity", "at"], unique=True
    )
    op.create_table(
        "readings_hourly",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        _time("hour", nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_readings_hourly")),
    )
    op.create_index(
        "ix_readings_hourly_sensor_quantity_hour",
        "readings_hourly",
        ["sensor_id", "quantity", "hour"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_readings_hourly_sensor_quantity_hour", table_name="readings_hourly")
    op.drop_table("readings_hourly")
    op.drop_index("ix_readings_sensor_quantity_at", table_name="readings")
    op.create_index(
        "ix_readings_sensor_quantity_at", "readings", ["sensor_id", "quantity", "at"], unique=False
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_alert_id")
        batch_op.drop_column("alert_id")
    op.drop_index("ix_alert_events_alert_id", table_name="alert_events")
    op.drop_table("alert_events")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_raised_at")
        batch_op.drop_index("ix_alerts_department_state")
        batch_op.drop_column("detail")
        batch_op.drop_column("cleared_at")
        batch_op.drop_column("department")
        batch_op.drop_column("version")
