"""The one case import service on the real PostgreSQL (the same checks as on SQLite,
tests/unit/test_case_import.py), and its migration's table on both engines."""

from __future__ import annotations

import pytest
from apps import build_app
from case_import_checks import (
    check_bad_rows_are_rejected_with_reasons_and_good_ones_kept,
    check_checkpoints_are_kept_per_source,
    check_import_then_reimport_updates_and_never_duplicates,
)
from sqlalchemy import inspect

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=300, database_url=pg_url, demo_live=False)
    engine = app.server.extensions["onescreen"].engine
    with app.server.app_context():
        yield engine
    engine.dispose()


def test_import_then_reimport_updates_and_never_duplicates_on_postgresql(engine):
    check_import_then_reimport_updates_and_never_duplicates(engine, "PGIMP")
    check_checkpoints_are_kept_per_source(engine, "PGCP")
    assert {c["name"] for c in inspect(engine).get_columns("import_checkpoints")} >= {
        "source",
        "cursor",
        "updated_at",
    }


def test_bad_rows_are_rejected_with_reasons_and_good_ones_kept_on_postgresql(engine):
    check_bad_rows_are_rejected_with_reasons_and_good_ones_kept(engine, "PGBAD")
