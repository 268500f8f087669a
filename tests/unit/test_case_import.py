"""The one case import service on SQLite: new cases imported with their event and one audit row
per run, a re-import updates and never duplicates, bad rows rejected with their position and
reason while every good row is kept, checkpoints per source."""

from __future__ import annotations

import pytest
from apps import build_app
from case_import_checks import (
    check_bad_rows_are_rejected_with_reasons_and_good_ones_kept,
    check_checkpoints_are_kept_per_source,
    check_import_then_reimport_updates_and_never_duplicates,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("case-import"), demo_cases=300)


@pytest.fixture
def engine(app):
    with app.server.app_context():
        yield app.server.extensions["onescreen"].engine


def test_import_then_reimport_updates_and_never_duplicates(engine):
    check_import_then_reimport_updates_and_never_duplicates(engine, "IMP")


def test_bad_rows_are_rejected_with_reasons_and_good_ones_kept(engine):
    check_bad_rows_are_rejected_with_reasons_and_good_ones_kept(engine, "BAD")


def test_checkpoints_are_kept_per_source(engine):
    check_checkpoints_are_kept_per_source(engine, "CP")
