"""The KPI catalogue computed by the real PostgreSQL equals the pandas reference on the same
rows (the SQLite twin: tests/unit/test_kpi_sql.py), for the whole park and one department."""

from __future__ import annotations

from apps import build_app
from kpi_compare import compare_every_kpi, read_tables

from security.scope import WHOLE_PARK, Scope


def test_postgresql_answers_what_pandas_answers_for_every_kpi(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=1000, database_url=pg_url, demo_live=False)
    services = app.server.extensions["onescreen"]
    frames, now = read_tables(services.engine)
    for scope in (WHOLE_PARK, Scope("urban_management")):
        assert compare_every_kpi(services.engine, services.settings.zone, frames, now, scope) >= 30
