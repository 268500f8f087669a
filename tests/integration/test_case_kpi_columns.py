"""The stage hours and the on-time flag the store keeps for the KPIs (store/case_derived.py,
migration 0015), on SQLite (triggers) and the real PostgreSQL (generated columns): right after
each kind of write — a case command's insert and update, a bulk write (demo seed, imports), an
upsert (imports, syncs), PostgreSQL's COPY — filled for the cases a store held before the
migration, gone after a downgrade; and the KPIs read them from an index alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import event, inspect, select

from security.scope import WHOLE_PARK
from services.kpis import specs
from store import kpi_sql
from store.bulk import append_frame, write_frame
from store.case_derived import HOURS, ON_TIME, STORED
from store.case_rows import insert_case, update_case
from store.case_upsert import upsert_cases
from store.engine import make_engine
from store.migrate import alembic_config, upgrade
from store.models import CONTRACT_TABLES

pytestmark = pytest.mark.integration

CASES = CONTRACT_TABLES["cases"]
T0 = datetime(2026, 11, 3, 8, 15, 30, 250_000, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


def _case(case_id: str, **times: datetime | None) -> dict:
    row = {"id": case_id, "channel": "hotline_12345", "domain": "urban_management", "case_type": "litter",
           "grid_cell": "U101", "department": "urban_management", "status": "reported", "reported_at": T0,
           "sla_deadline": T0 + timedelta(hours=48), "version": 1}  # fmt: skip
    return {**row, **times}


def _expected(row: dict) -> dict:
    """The stored columns as Python computes them from the row's times."""
    out: dict = {}
    for name, (start, end) in HOURS.items():
        a, b = row.get(start), row.get(end)
        out[name] = None if a is None or b is None else (b - a).total_seconds() / 3600
    for name, (a_name, b_name) in ON_TIME.items():
        a, b = row.get(a_name), row.get(b_name)
        out[name] = None if a is None or b is None else int(a <= b)
    return out


def _check(engine, row: dict) -> None:
    with engine.connect() as connection:
        got = connection.execute(select(*(CASES.c[n] for n in STORED)).where(CASES.c.id == row["id"])).one()
    for name, want in _expected(row).items():
        value = getattr(got, name)
        assert (value is None) == (want is None), (row["id"], name, value, want)
        if want is not None:
            assert value == pytest.approx(want, rel=1e-6, abs=1e-6), (row["id"], name)  # julianday: ms


def _closed(row: dict, hours: float, late: bool) -> dict:
    dispatched = row["reported_at"] + timedelta(hours=1.5)
    handled = dispatched + timedelta(hours=hours)
    verified = handled + timedelta(minutes=40)
    closed = row["sla_deadline"] + timedelta(hours=3) if late else verified + timedelta(minutes=5)
    return {**row, "status": "closed", "dispatched_at": dispatched, "handled_at": handled,
            "verified_at": verified, "closed_at": closed}  # fmt: skip


def test_every_kind_of_write_keeps_the_stored_columns_right(store_url):
    engine = make_engine(store_url)
    upgrade(engine)
    # a case command: a new case, then its steps one update at a time
    row = _case("C-CMD")
    with engine.begin() as connection:
        insert_case(connection, row)
    _check(engine, row)
    full = _closed(row, 20.25, late=False)
    for step in ("dispatched_at", "handled_at", "verified_at", "closed_at"):
        with engine.begin() as connection:
            version = connection.execute(select(CASES.c.version).where(CASES.c.id == "C-CMD")).scalar_one()
            assert update_case(connection, "C-CMD", version, {step: full[step], "version": version + 1})
    with engine.connect() as connection:
        stored = dict(connection.execute(select(CASES).where(CASES.c.id == "C-CMD")).one()._mapping)
    _check(engine, stored)
    assert stored["handling_hours"] is not None and stored["closed_on_time"] == 1
    # a bulk write (the demo seed, imports): one on time, one late, one still open
    rows = [_closed(_case("C-B1"), 5.5, late=False), _closed(_case("C-B2"), 70.0, late=True), _case("C-B3")]
    with engine.begin() as connection:
        write_frame(connection, CASES, pd.DataFrame(rows))
    for each in rows:
        _check(engine, each)
    # an upsert (imports, syncs) that closes the open one and moves a deadline
    changed = [_closed(_case("C-B3"), 9.0, late=True), {**rows[0], "sla_deadline": T0 + timedelta(hours=2)}]
    with engine.begin() as connection:
        upsert_cases(connection, pd.DataFrame([{**r, "version": 2} for r in changed]))
    for each in changed:
        _check(engine, each)
    # PostgreSQL's COPY (append_frame; SQLite writes as write_frame does)
    copied = _closed(_case("C-COPY"), 1.0, late=False)
    with engine.begin() as connection:
        append_frame(connection, CASES, pd.DataFrame([copied]))
    _check(engine, copied)
    engine.dispose()


def test_the_migration_fills_the_cases_a_store_held_and_goes_back(store_url):
    engine = make_engine(store_url)
    upgrade(engine, "0014")
    rows = [
        _closed(_case("C-OLD1"), 12.0, late=False),
        _closed(_case("C-OLD2"), 80.0, late=True),
        _case("C-OLD3"),
    ]
    with engine.begin() as connection:  # as the store was written before 0015: no such columns
        names = [c["name"] for c in inspect(connection).get_columns("cases")]
        assert not set(STORED) & set(names)
        write_frame(connection, CASES, pd.DataFrame(rows)[[c for c in rows[0] if c in names]])
    upgrade(engine, "0015")
    for each in rows:
        _check(engine, each)
    command.downgrade(alembic_config(engine), "0014")
    with engine.connect() as connection:
        assert not set(STORED) & {c["name"] for c in inspect(connection).get_columns("cases")}
        if engine.dialect.name == "sqlite":
            triggers = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert not [t for (t,) in triggers if t.startswith("cases_kpi_columns")]
    with engine.begin() as connection:  # a write after the downgrade works without the columns
        write_frame(connection, CASES, pd.DataFrame([_case("C-AFTER")]).drop(columns=["sla_deadline"]))
    upgrade(engine)
    for each in [*rows, {**_case("C-AFTER"), "sla_deadline": None}]:
        _check(engine, each)
    engine.dispose()


def test_the_window_kpis_read_the_stored_hours_from_an_index_alone(tmp_path):
    """SQLite: the plan of a mean handling time over a range names a covering index (before 0015
    the julianday() of two text times per row, read from the table)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    spec = next(s for s in specs() if s.id == "handling_hours_mean_30d")
    statements: list = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
    with engine.connect() as connection:
        kpi_sql.value(connection, kpi_sql.Ask(spec, WHOLE_PARK, T0 + timedelta(days=30)), UTC)
        sql, parameters = statements[-1]
        assert "handling_hours" in sql and "julianday" not in sql
        plan = " ".join(str(r) for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters))
    assert "COVERING INDEX ix_cases_closed_covering" in plan
    engine.dispose()


def test_sqlite_raises_the_cases_version_once_a_write_and_for_every_written_column(tmp_path):
    """The triggers' own UPDATE of the stored columns raises no data version (0015 limits the
    version trigger to the other columns); a column added later must join that list."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    with engine.connect() as connection:
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'data_version_cases_update'"
        ).scalar_one()
    listed = sql.split("UPDATE OF", 1)[1].split(" ON cases", 1)[0]
    assert {c.strip() for c in listed.split(",")} == {c.name for c in CASES.c if c.computed is None}

    def version() -> int:
        with engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT version FROM data_versions WHERE contract = 'cases'"
            ).scalar()

    start = version()
    with engine.begin() as connection:
        insert_case(connection, _case("C-V"))
    assert version() == start + 1
    with engine.begin() as connection:
        assert update_case(connection, "C-V", 1, {"closed_at": T0 + timedelta(hours=3), "version": 2})
    assert version() == start + 2
    _check(engine, {**_case("C-V"), "closed_at": T0 + timedelta(hours=3)})
    engine.dispose()
