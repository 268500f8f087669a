"""baseline: contracts, reference data, source health

Revision ID: 0001
Revises:
Create Date: 2026-11-24 19:16:36.432615
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("sensor_id", sa.String(length=128), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("raised_at", store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_alerts")),
        sa.UniqueConstraint("id", name=op.f("uq_alerts_id")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_sensor_id"), ["sensor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_state"), ["state"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("at", store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("case_type", sa.String(length=64), nullable=False),
        sa.Column("grid_cell", sa.String(length=32), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reported_at", store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("handled_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sla_deadline", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("repeat_of", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_cases")),
        sa.UniqueConstraint("id", name=op.f("uq_cases_id")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_department_status", ["department", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_grid_cell"), ["grid_cell"], unique=False)
        batch_op.create_index("ix_cases_reported_at", ["reported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "chains",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("parent_link", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("name_en", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_chains")),
        sa.UniqueConstraint("chain", "link", name="uq_chains_chain_link"),
    )
    op.create_table(
        "departments",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("domains", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_departments")),
        sa.UniqueConstraint("id", name=op.f("uq_departments_id")),
    )
    op.create_table(
        "enterprise_figures",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("tax", sa.Float(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("rd_spending", sa.Float(), nullable=True),
        sa.Column("patents", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_enterprise_figures")),
        sa.UniqueConstraint("enterprise_id", "year", name="uq_enterprise_figures_enterprise_year"),
    )
    with op.batch_alter_table("enterprise_figures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_figures_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "enterprises",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("industry_code", sa.String(length=4), nullable=False),
        sa.Column("chain_link", sa.String(length=64), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("id", name=op.f("uq_enterprises_id")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprises_chain_link"), ["chain_link"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprises_industry_code"), ["industry_code"], unique=False)

    op.create_table(
        "features",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("layer", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "geometry",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_features")),
        sa.UniqueConstraint("layer", "id", name="uq_features_layer_id"),
    )
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_features_layer"), ["layer"], unique=False)

    op.create_table(
        "grid_cells",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("parent", sa.String(length=32), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_grid_cells")),
        sa.UniqueConstraint("id", name=op.f("uq_grid_cells_id")),
    )
    with op.batch_alter_table("grid_cells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_cells_level"), ["level"], unique=False)

    op.create_table(
        "grid_workers",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("grid_cell", sa.String(length=32), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_grid_workers")),
        sa.UniqueConstraint("id", name=op.f("uq_grid_workers_id")),
    )
    op.create_table(
        "meta",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_meta")),
        sa.UniqueConstraint("key", name=op.f("uq_meta_key")),
    )
    op.create_table(
        "readings",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_readings")),
    )
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readings_at"), ["at"], unique=False)
        batch_op.create_index("ix_readings_sensor_quantity_at", ["sensor_id", "quantity", "at"], unique=False)

    op.create_table(
        "sensors",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("name_en", sa.String(length=100), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("grid_cell", sa.String(length=32), nullable=True),
        sa.Column(
            "thresholds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_sensors")),
        sa.UniqueConstraint("id", name=op.f("uq_sensors_id")),
    )
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensors_kind"), ["kind"], unique=False)

    op.create_table(
        "source_health",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("adapter", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_attempt", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_success", store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_source_health")),
        sa.UniqueConstraint("source", name=op.f("uq_source_health_source")),
    )
    op.create_table(
        "source_rejections",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("contract", sa.String(length=32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_source_rejections")),
    )
    with op.batch_alter_table("source_rejections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_rejections_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_rejections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_rejections_source"))

    op.drop_table("source_rejections")
    op.drop_table("source_health")
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensors_kind"))

    op.drop_table("sensors")
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_sensor_quantity_at")
        batch_op.drop_index(batch_op.f("ix_readings_at"))

    op.drop_table("readings")
    op.drop_table("meta")
    op.drop_table("grid_workers")
    with op.batch_alter_table("grid_cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_cells_level"))

    op.drop_table("grid_cells")
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_features_layer"))

    op.drop_table("features")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_industry_code"))
        batch_op.drop_index(batch_op.f("ix_enterprises_chain_link"))

    op.drop_table("enterprises")
    with op.batch_alter_table("enterprise_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_figures_enterprise_id"))

    op.drop_table("enterprise_figures")
    op.drop_table("departments")
    op.drop_table("chains")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index("ix_cases_reported_at")
        batch_op.drop_index(batch_op.f("ix_cases_grid_cell"))
        batch_op.drop_index("ix_cases_department_status")

    op.drop_table("cases")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_state"))
        batch_op.drop_index(batch_op.f("ix_alerts_sensor_id"))

    op.drop_table("alerts")
