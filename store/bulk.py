"""Bulk writes of contract frames into the store (the demo park, imports).

Rows go through the driver's own `executemany` with values converted column by column
(vectorised), not through SQLAlchemy's per-row bind processing: 1.8 million case events took
over 20 s the ORM-typed way and take a few seconds this way. Times are written as the store
keeps them (store/types.py): naive UTC text on SQLite, aware datetimes on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Table, insert

from store.types import UtcDateTime

CHUNK_ROWS = 50_000


def _column_values(series: pd.Series, column_type: Any, sqlite: bool) -> list[Any]:
    if isinstance(column_type, UtcDateTime):
        times = pd.to_datetime(series)
        if times.notna().any() and not isinstance(times.dtype, pd.DatetimeTZDtype):
            raise ValueError(
                f"naive datetime column {series.name!r} given to the store; times must be timezone-aware"
            )
        times = times.dt.tz_convert("UTC") if isinstance(times.dtype, pd.DatetimeTZDtype) else times
        if sqlite:
            text = times.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
            return [None if pd.isna(v) else v for v in text]
        return [None if pd.isna(v) else v.to_pydatetime() for v in times]
    if isinstance(column_type, JSON):
        return [
            None if v is None or (isinstance(v, float) and np.isnan(v)) else json.dumps(v, ensure_ascii=False)
            for v in series
        ]
    if pd.api.types.is_float_dtype(series.dtype):
        return [None if np.isnan(v) else float(v) for v in series.to_numpy(dtype="float64")]
    if pd.api.types.is_integer_dtype(series.dtype):
        return [None if pd.isna(v) else int(v) for v in series]
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in series]


def write_frame(
    connection: Connection, table: Table, frame: pd.DataFrame, progress: Callable[[int], None] | None = None
) -> int:
    """Insert every row of `frame` (columns named as the table's; others ignored); return the
    count. The caller owns the transaction. `progress(rows_done)` is called after each chunk.
    Raises ValueError for a naive time column (times must be timezone-aware)."""
    columns = [c for c in frame.columns if c in table.c and c != "pk"]
    if frame.empty or not columns:
        return 0
    sqlite = connection.dialect.name == "sqlite"
    values = [_column_values(frame[name], table.c[name].type, sqlite) for name in columns]
    rows = list(zip(*values, strict=True))
    # Compile the INSERT once for this dialect's parameter style, then hand rows to the driver.
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=columns)
    positional = compiled.positional
    order = list(compiled.positiontup or []) if positional else columns
    index = {name: i for i, name in enumerate(columns)}
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    done = 0
    try:
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            if positional:
                params: list[Any] = [tuple(row[index[name]] for name in order) for row in chunk]
            else:
                params = [dict(zip(columns, row, strict=True)) for row in chunk]
            cursor.executemany(compiled.string, params)
            done += len(chunk)
            if progress:
                progress(done)
    finally:
        cursor.close()
    return done
