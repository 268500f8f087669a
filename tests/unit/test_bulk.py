"""Bulk writes put a frame's columns, and only those, into the store: missing values of every
kind as NULL, dates as dates, times in the store's one SQLite text format."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.dialects import postgresql, sqlite

from store.bulk import execute_rows, insert_sql, write_frame
from store.engine import make_engine
from store.migrate import upgrade
from store.models import CONTRACT_TABLES, SourceHealthRow
from store.types import SQLITE_TIME_FORMAT

T0 = datetime(2026, 11, 1, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()], ids=["sqlite", "pg"])
def test_the_insert_names_exactly_the_frames_columns_and_returns_nothing(dialect):
    # source_health has Python-side defaults (consecutive_failures, batches), which a compiled
    # insert(table) would add as parameters
    table = SourceHealthRow.__table__
    sql, order = insert_sql(dialect, table, ["source", "adapter", "status"])
    assert "RETURNING" not in sql.upper()
    assert "consecutive_failures" not in sql and "batches" not in sql
    assert order in (["source", "adapter", "status"], None)


def test_a_column_with_a_python_default_left_out_of_the_frame_is_not_a_parameter(tmp_path):
    table = Table(
        "things",
        MetaData(),
        Column("pk", Integer, primary_key=True),
        Column("name", String(10)),
        Column("tries", Integer, default=0),
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'things.sqlite'}")
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        assert write_frame(connection, table, pd.DataFrame({"name": ["a", "b"]})) == 2
    with engine.connect() as connection:
        assert connection.execute(select(table.c.name, table.c.tries)).all() == [("a", None), ("b", None)]
    engine.dispose()


def test_missing_values_of_every_kind_are_written_as_null(engine):
    cases = pd.DataFrame(
        {
            "id": ["C1", "C2"],
            "channel": ["portal", "portal"],
            "domain": ["urban_management"] * 2,
            "case_type": ["road_damage"] * 2,
            "status": ["reported"] * 2,
            "reported_at": pd.Series([T0, T0], dtype="datetime64[us, UTC]"),
            "closed_at": pd.Series([T0, pd.NaT], dtype="datetime64[us, UTC]"),
            "lon": [114.6, np.nan],
            "satisfaction": pd.array([5, pd.NA], dtype="Int64"),
            "address": pd.Series(["路", None], dtype="str"),
            "address_en": pd.Series(["road", pd.NA], dtype="string"),
        }
    )
    enterprises = pd.DataFrame(
        {
            "id": ["E1", "E2", "E3"],
            "name": ["甲", "乙", "丙"],
            "industry_code": ["3914"] * 3,
            "founded_on": pd.Series([date(2015, 6, 1), pd.NaT, None], dtype=object),
        }
    )
    with engine.begin() as connection:
        write_frame(connection, CONTRACT_TABLES["cases"], cases)
        write_frame(connection, CONTRACT_TABLES["enterprises"], enterprises)
    with engine.connect() as connection:
        table = CONTRACT_TABLES["cases"]
        row = connection.execute(
            select(
                table.c.closed_at, table.c.lon, table.c.satisfaction, table.c.address, table.c.address_en
            ).where(table.c.id == "C2")
        ).one()
        founded = connection.execute(select(CONTRACT_TABLES["enterprises"].c.founded_on)).scalars().all()
    assert tuple(row) == (None, None, None, None, None)
    assert founded == [date(2015, 6, 1), None, None]


def test_a_date_column_is_written_as_dates_whatever_its_dtype(engine):
    enterprises = pd.DataFrame(
        {
            "id": ["E1", "E2"],
            "name": ["甲", "乙"],
            "industry_code": ["3914"] * 2,
            "founded_on": pd.to_datetime(["2015-06-01", None]),
        }
    )
    with engine.begin() as connection:
        write_frame(connection, CONTRACT_TABLES["enterprises"], enterprises)
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT founded_on FROM enterprises ORDER BY pk")).scalars().all()
    assert raw == ["2015-06-01", None]


def test_times_are_kept_on_sqlite_in_the_one_text_format(engine):
    cases = pd.DataFrame(
        {
            "id": ["C1"],
            "channel": ["portal"],
            "domain": ["urban_management"],
            "case_type": ["road_damage"],
            "status": ["reported"],
            "reported_at": pd.Series([T0], dtype="datetime64[us, UTC]"),
        }
    )
    with engine.begin() as connection:
        write_frame(connection, CONTRACT_TABLES["cases"], cases)
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT reported_at FROM cases")).scalar_one()
        typed = connection.execute(select(CONTRACT_TABLES["cases"].c.reported_at)).scalar_one()
    assert raw == T0.replace(tzinfo=None).strftime(SQLITE_TIME_FORMAT) == "2026-11-01 08:30:15.123456"
    assert typed == T0


@pytest.mark.parametrize(("per", "statements"), [(1, 7), (3, 3), (10, 1)])
def test_rows_are_sent_as_many_per_statement_as_asked(tmp_path, per, statements):
    """write_frame's SQLite path and case_upsert's rows run through one execute_rows: several rows
    per statement (the last group shorter) or one, each row written once, in order."""
    engine = make_engine(f"sqlite:///{tmp_path / 'rows.sqlite'}")
    table = Table("pairs", MetaData(), Column("pk", Integer, primary_key=True), Column("a", String),
                  Column("b", Integer))  # fmt: skip
    table.metadata.create_all(engine)
    rows = [(f"r{i}", i) for i in range(7)]
    run: list[str] = []
    with engine.begin() as connection:
        connection.connection.driver_connection.set_trace_callback(run.append)
        sql, order = insert_sql(connection.dialect, table, ["a", "b"])
        done = execute_rows(connection, sql, order, ["a", "b"], rows, rows_per_statement=per)
        connection.connection.driver_connection.set_trace_callback(None)
        written = connection.execute(select(table.c.a, table.c.b).order_by(table.c.pk)).all()
    assert done == 7 and [tuple(r) for r in written] == rows
    assert sum(s.startswith("INSERT") for s in run) == statements
    with engine.begin() as connection, pytest.raises(ValueError, match="positional"):
        execute_rows(connection, sql, ["b", "a"], ["a", "b"], rows, rows_per_statement=3)
    engine.dispose()
