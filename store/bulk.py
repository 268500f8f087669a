"""Bulk writes of contract frames into the store (the demo park, imports).

Rows go through the driver's own `executemany` with values converted column by column
(vectorised), not through SQLAlchemy's per-row bind processing: 1.8 million case events took
over 20 s the ORM-typed way and take a few seconds this way. Times are written as the store
keeps them (store/types.py): naive UTC text on SQLite, aware datetimes on PostgreSQL; dates as
ISO text on SQLite (as SQLAlchemy's Date keeps them there), `datetime.date` on PostgreSQL."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Date, Dialect, Table, TableClause, column, insert, table

from store.types import UtcDateTime

CHUNK_ROWS = 50_000
BULK_CACHE_KIB = 128 * 1024
SQLITE_ROWS_PER_STATEMENT = 500  # see write_frame
SQLITE_MAX_VARIABLES = 32_766  # SQLite's limit on a statement's parameters since 3.32


def _is_missing(value: Any) -> bool:
    """A scalar that stands for "no value" in a frame: None, NA, NaT or NaN (never a list or
    dict, which JSON columns hold)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def _or_none(values: pd.Series, present: pd.Series) -> list[Any]:
    """`values` as a list, None where not `present` (whole columns at once, never per value)."""
    return values.astype(object).where(present, None).tolist()


def _column_values(series: pd.Series, column_type: Any, sqlite: bool) -> list[Any]:
    if isinstance(column_type, UtcDateTime):
        times = pd.to_datetime(series)
        if times.notna().any() and not isinstance(times.dtype, pd.DatetimeTZDtype):
            raise ValueError(
                f"naive datetime column {series.name!r} given to the store; times must be timezone-aware"
            )
        times = times.dt.tz_convert("UTC") if isinstance(times.dtype, pd.DatetimeTZDtype) else times
        present = times.notna()
        if sqlite:  # SQLITE_TIME_FORMAT, by numpy: three times faster than strftime
            naive = times.dt.tz_localize(None) if isinstance(times.dtype, pd.DatetimeTZDtype) else times
            stamps = np.datetime_as_string(naive.to_numpy(dtype="datetime64[us]"), unit="us").tolist()
            return [
                t.replace("T", " ", 1) if ok else None for t, ok in zip(stamps, present.tolist(), strict=True)
            ]
        return _or_none(times.dt.to_pydatetime(), present)
    if isinstance(column_type, Date):
        days = pd.to_datetime(series, format="mixed")
        if isinstance(days.dtype, pd.DatetimeTZDtype):  # a date in its own zone, not UTC's
            days = days.dt.tz_localize(None)
        return [None if _is_missing(v) else (v.date().isoformat() if sqlite else v.date()) for v in days]
    if isinstance(column_type, JSON):
        return [None if _is_missing(v) else json.dumps(v, ensure_ascii=False) for v in series]
    if pd.api.types.is_float_dtype(series.dtype):
        numbers = pd.Series(series.to_numpy(dtype="float64", na_value=np.nan), index=series.index)
        return _or_none(numbers, numbers.notna())
    if pd.api.types.is_integer_dtype(series.dtype):
        return [None if _is_missing(v) else int(v) for v in series]
    return _or_none(series, series.notna())  # a list or dict in an object column is a value


def bare_table(table_: Table, columns: list[str]) -> TableClause:
    """A table clause of exactly `columns`: statements built on it bind those columns and no
    others (the real Table would add parameters for columns with Python-side defaults, such as
    source_health's `batches`, and on PostgreSQL `RETURNING pk`)."""
    return table(table_.name, *(column(name) for name in columns), schema=table_.schema)


def driver_sql(dialect: Dialect, statement: Any, columns: list[str]) -> tuple[str, list[str] | None]:
    """`statement` (an INSERT of exactly `columns`, built on `bare_table`) compiled for
    `dialect`'s driver, and the order of positional parameters (None when the driver takes
    them by name). Raises AssertionError when it would bind anything but `columns`."""
    compiled = statement.compile(dialect=dialect)
    names = list(compiled.positiontup or []) if compiled.positional else list(compiled.params)
    if sorted(names) != sorted(columns) or "RETURNING" in compiled.string.upper():
        raise AssertionError(f"statement compiled to {compiled.string!r} for {columns}")
    return compiled.string, names if compiled.positional else None


def insert_sql(dialect: Dialect, table_: Table, columns: list[str]) -> tuple[str, list[str] | None]:
    """The INSERT of exactly `columns` into `table_` for `dialect`'s driver, and the order of
    positional parameters (None when the driver takes them by name)."""
    return driver_sql(dialect, insert(bare_table(table_, columns)), columns)


def driver_rows(
    connection: Connection, table_: Table, frame: pd.DataFrame, columns: list[str]
) -> list[tuple]:
    """The rows of `frame`'s `columns` as the driver takes them for `table_`'s column types
    (converted column by column, see the module's docstring), one tuple per row in `columns`'
    order. Raises ValueError for a naive time column."""
    sqlite = connection.dialect.name == "sqlite"
    values = [_column_values(frame[name], table_.c[name].type, sqlite) for name in columns]
    return list(zip(*values, strict=True))


def execute_rows(
    connection: Connection,
    sql: str,
    order: list[str] | None,
    columns: list[str],
    rows: list[tuple],
    progress: Callable[[int], None] | None = None,
    *,
    rows_per_statement: int = 1,
) -> int:
    """Run `sql` (a one-row statement from driver_sql) for every row through the driver's
    executemany, CHUNK_ROWS at a time, in the caller's transaction; the count of rows.
    `progress(rows_done)` after each chunk. With `rows_per_statement` > 1 (an INSERT with
    positional parameters in `columns`' order only) each statement writes that many rows at once
    (_multirow_sql), the last of a chunk fewer. Raises ValueError for several rows per statement
    of any other `sql`."""
    width = len(columns)
    if rows_per_statement > 1 and order != columns:
        raise ValueError("several rows per statement need positional parameters in the columns' order")
    index = {name: i for i, name in enumerate(columns)}
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    done = 0
    try:
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            if rows_per_statement > 1:
                per = rows_per_statement
                whole = len(chunk) - len(chunk) % per
                if whole:
                    groups = [tuple(chain.from_iterable(chunk[i : i + per])) for i in range(0, whole, per)]
                    cursor.executemany(_multirow_sql(sql, width, per), groups)
                if whole < len(chunk):
                    rest = chunk[whole:]
                    cursor.execute(_multirow_sql(sql, width, len(rest)), tuple(chain.from_iterable(rest)))
            elif order == columns:
                cursor.executemany(sql, chunk)
            elif order is not None:
                cursor.executemany(sql, [tuple(row[index[name]] for name in order) for row in chunk])
            else:
                cursor.executemany(sql, [dict(zip(columns, row, strict=True)) for row in chunk])
            done += len(chunk)
            if progress:
                progress(done)
    finally:
        cursor.close()
    return done


def make_room_for_bulk_writes(connection: Connection) -> None:
    """On SQLite, a page cache of BULK_CACHE_KIB for this connection: with the default 2 MiB a
    bulk write into a table with several indexes (cases has eight) spills dirty index pages to
    the WAL mid-transaction, and measured three times slower for 100,000 cases. No-op elsewhere."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")


def copy_rows(connection: Connection, table_name: str, columns: list[str], rows: list[tuple]) -> int:
    """On PostgreSQL, COPY `rows` (from driver_rows, in `columns`' order) into `table_name` in
    the caller's transaction; the count. COPY takes rows in one stream instead of one statement
    each: measured four to eight times faster than executemany for a batch of cases. Raises
    NotImplementedError on another engine."""
    if connection.dialect.name != "postgresql":
        raise NotImplementedError(f"COPY is PostgreSQL's, not {connection.dialect.name}'s")
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {preparer.quote(table_name)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return len(rows)


def written_columns(frame: pd.DataFrame, table: Table) -> list[str]:
    """The columns of `frame` the store writes into `table`: the table's, but its own key and
    the columns the database computes (store/case_derived.py), which an INSERT may not name."""
    return [c for c in frame.columns if c in table.c and c != "pk" and table.c[c].computed is None]


def append_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert every row of `frame` as write_frame does, by COPY on PostgreSQL (copy_rows)."""
    if connection.dialect.name != "postgresql":
        return write_frame(connection, table, frame)
    columns = written_columns(frame, table)
    if frame.empty or not columns:
        return 0
    return copy_rows(connection, table.name, columns, driver_rows(connection, table, frame, columns))


def write_frame(
    connection: Connection, table: Table, frame: pd.DataFrame, progress: Callable[[int], None] | None = None
) -> int:
    """Insert every row of `frame` (columns named as the table's; others ignored); return the
    count. The caller owns the transaction. `progress(rows_done)` is called after each chunk.
    Missing values (None, NaN, NaT, NA) are written as NULL. Raises ValueError for a naive
    time column (times must be timezone-aware)."""
    columns = written_columns(frame, table)
    if frame.empty or not columns:
        return 0
    rows = driver_rows(connection, table, frame, columns)
    sql, order = insert_sql(connection.dialect, table, columns)
    per = 1
    if connection.dialect.name == "sqlite" and order == columns:
        # A table with a trigger (the data versions', migration 0010) gets a statement journal
        # per statement, which copies every page the statement changes: one row per statement
        # measured 3.6 times slower for 100,000 cases (eight indexes), a few hundred rows per
        # statement the same as without the trigger (bench/bench_data_versions.py).
        per = max(1, min(SQLITE_ROWS_PER_STATEMENT, SQLITE_MAX_VARIABLES // len(columns)))
    return execute_rows(connection, sql, order, columns, rows, progress, rows_per_statement=per)


def _multirow_sql(sql: str, width: int, count: int) -> str:
    """`sql`, a one-row INSERT … VALUES (?, …) of `width` columns, for `count` rows at once."""
    head, values, one = sql.rpartition(" VALUES ")
    if one != "(" + ", ".join("?" * width) + ")":
        raise AssertionError(f"not a one-row positional INSERT: {sql!r}")
    return head + values + ", ".join([one] * count)
