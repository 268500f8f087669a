"""Migration 0016: the open cases' backlog age and the sensors reporting now are read from an
index alone on SQLite (before, each open case's row was fetched for its reported time), and the
migration goes down again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import event, inspect

from security.scope import WHOLE_PARK, Scope
from services.kpis import specs
from store import kpi_sql
from store.engine import make_engine
from store.migrate import alembic_config, upgrade

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _plan(engine, kpi: str, scope: Scope = WHOLE_PARK) -> str:
    spec = next(s for s in specs() if s.id == kpi)
    statements: list = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
    with engine.connect() as connection:
        kpi_sql.value(connection, kpi_sql.Ask(spec, scope, NOW), UTC)
        sql, parameters = statements[-1]
        return " ".join(str(r) for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters))


@pytest.fixture
def engine(tmp_path):
    made = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(made)
    yield made
    made.dispose()


def test_backlog_age_reads_the_open_cases_index_alone(engine) -> None:
    assert "COVERING INDEX ix_cases_status_department_reported_at" in _plan(engine, "backlog_age_hours")


def test_sensors_reporting_reads_the_readings_time_index_alone(engine) -> None:
    assert "COVERING INDEX ix_readings_at_sensor_id" in _plan(engine, "sensors_reporting")


def test_the_migration_goes_down_and_up(engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0015")
    names = {i["name"] for i in inspect(engine).get_indexes("cases")}
    assert "ix_cases_status_department_reported_at" not in names
    command.upgrade(config, "head")
    names = {i["name"] for i in inspect(engine).get_indexes("cases")}
    assert "ix_cases_status_department_reported_at" in names
