"""Data versions on the real PostgreSQL: one statement-level trigger per versioned table raises
its contract's version once per writing transaction (a COPY and a TRUNCATE included), never for
another table's writes; a case step raises cases and case_events; a figure cached by version
is computed again after a write and not before; the migration downgrades cleanly."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import cast

import pandas as pd
import pytest
from alembic import command
from apps import build_app
from sqlalchemy import Table, delete, insert, inspect, select, text, update

from domain.case_lifecycle import Action, Actor, Desk, Status, Step
from services.case_commands import apply_step
from services.figure_cache import cached_figure
from store import case_rows
from store.bulk import append_frame
from store.data_versions import VERSIONED, versions
from store.engine import begin_write, make_engine
from store.migrate import alembic_config, upgrade
from store.models import Case, Meta, Reading

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _case(case_id: str) -> dict:
    return {
        "id": case_id,
        "channel": "hotline_12345",
        "domain": "urban_management",
        "case_type": "road_damage",
        "status": Status.REPORTED.value,
        "reported_at": T0,
    }


@pytest.fixture
def engine(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app(pg_url, tmp_path):
    app = build_app(tmp_path, demo_cases=300, database_url=pg_url, demo_live=False)
    yield app
    app.server.extensions["onescreen"].engine.dispose()


def _others(current: dict[str, int], *but: str) -> dict[str, int]:
    return {k: v for k, v in current.items() if k not in but}


def test_each_versioned_table_has_one_statement_trigger(engine):
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'data_version_%' AND c.relnamespace = current_schema()::regnamespace"
            )
        ).scalars()
        assert sorted(rows) == sorted(VERSIONED)
    assert versions(engine) == dict.fromkeys(VERSIONED, 1)


def test_one_raise_per_writing_transaction_however_many_rows_and_statements(engine):
    start = versions(engine)
    with engine.begin() as c:
        c.execute(insert(Case), [_case(f"C{i}") for i in range(3)])  # an executemany: 3 statements
    assert versions(engine)["cases"] == start["cases"] + 1
    with engine.begin() as c:
        c.execute(update(Case).values(status=Status.ACCEPTED.value))
        c.execute(delete(Case).where(Case.id == "C0"))
    assert versions(engine)["cases"] == start["cases"] + 2
    with engine.begin() as c:  # and again in the next transaction of the same connection
        c.execute(delete(Case).where(Case.id == "C1"))
    assert versions(engine)["cases"] == start["cases"] + 3
    assert _others(versions(engine), "cases") == _others(start, "cases")


def test_a_write_rolled_back_to_a_savepoint_does_not_count_as_raised(engine):
    before = versions(engine)["cases"]
    with engine.begin() as c:
        savepoint = c.begin_nested()
        c.execute(insert(Case), [_case("S1")])
        savepoint.rollback()  # the raise is undone with the row, and so is its mark
        c.execute(insert(Case), [_case("S2")])
    assert versions(engine)["cases"] == before + 1


def test_a_copy_and_a_truncate_each_raise_the_version(engine):
    frame = pd.DataFrame([_case(f"K{i}") for i in range(1000)])
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    before = versions(engine)["cases"]
    with engine.begin() as c:
        assert append_frame(c, cast(Table, Case.__table__), frame) == 1000  # COPY
    assert versions(engine)["cases"] == before + 1
    with engine.begin() as c:
        c.execute(text("TRUNCATE cases"))
    assert versions(engine)["cases"] == before + 2


def test_writes_to_unversioned_tables_and_rolled_back_writes_raise_nothing(engine):
    before = versions(engine)
    with engine.begin() as c:
        c.execute(insert(Meta), [{"key": "park", "value": "x"}])
        c.execute(insert(Reading), [{"sensor_id": "S1", "at": T0, "quantity": "pm25", "value": 1.0}])
    with engine.connect() as c:
        transaction = c.begin()
        c.execute(insert(Case), [_case("R1")])
        transaction.rollback()
    assert versions(engine) == before


def test_a_new_version_is_seen_only_with_the_rows_it_counts(engine):
    before = versions(engine)["cases"]
    with engine.connect() as writer:
        transaction = writer.begin()
        writer.execute(insert(Case), [_case("V1")])
        assert versions(engine)["cases"] == before  # not committed: neither rows nor version
        transaction.commit()
    assert versions(engine)["cases"] == before + 1


def test_two_writers_of_one_contract_at_once_both_commit(engine):
    # both raise the one row of `cases`: the second waits for the first to commit, never fails
    before = versions(engine)["cases"]
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def write(case_id: str) -> None:
        try:
            with engine.begin() as c:
                barrier.wait()
                c.execute(insert(Case), [_case(case_id)])
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"W{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert versions(engine)["cases"] == before + 2


def test_the_migration_downgrades_cleanly_and_upgrades_again(engine):
    command.downgrade(alembic_config(engine), "0009")
    with engine.connect() as c:
        assert "data_versions" not in inspect(c).get_table_names()
        # this test's schema only: other schemas of the shared server (a test running beside this
        # one, a kept benchmark store) have their own triggers and function
        triggers = (
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'data_version_%' AND c.relnamespace = current_schema()::regnamespace"
        )
        assert c.execute(text(triggers)).scalar() == 0
        functions = (
            "SELECT count(*) FROM pg_proc WHERE proname = 'bump_data_version' "
            "AND pronamespace = current_schema()::regnamespace"
        )
        assert c.execute(text(functions)).scalar() == 0
    with engine.begin() as c:
        c.execute(insert(Case), [_case("D1")])
    upgrade(engine)
    assert versions(engine) == dict.fromkeys(VERSIONED, 1)


def test_a_case_step_raises_cases_and_case_events_and_a_cached_figure_follows(app):
    engine = app.server.extensions["onescreen"].engine
    assert engine.dialect.name == "postgresql"
    with engine.begin() as c:
        c.execute(insert(Case), [_case("STEP-1")])
    calls = []

    def accepted() -> int:
        calls.append(1)
        with engine.connect() as c:
            return len(c.execute(select(Case.pk).where(Case.status == Status.ACCEPTED.value)).all())

    with app.server.app_context():
        first = cached_figure("pg-accepted", ["cases"], accepted)
        assert cached_figure("pg-accepted", ["cases"], accepted).computed_at == first.computed_at
        before = versions(engine)
        with begin_write(engine) as connection:
            row = case_rows.read_case(connection, "STEP-1")
            assert row is not None
            actor = Actor("officer", frozenset({Desk.CENTRE}), None)
            apply_step(connection, row, actor, Step(Action.ACCEPT, row["version"], T0 + timedelta(minutes=1)))
        after = versions(engine)
        assert after["cases"] == before["cases"] + 1 and after["case_events"] == before["case_events"] + 1
        assert _others(after, "cases", "case_events") == _others(before, "cases", "case_events")
        second = cached_figure("pg-accepted", ["cases"], accepted)
    assert second.value == first.value + 1 and len(calls) == 2
