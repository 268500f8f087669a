"""Bulk writes of contract frames into the store (the demo park, imports)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, insert

CHUNK_ROWS = 20_000


def _records(frame: pd.DataFrame, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    frame = frame[columns]
    converted: dict[str, list[Any]] = {}
    for name in columns:
        series = frame[name]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            values = [None if pd.isna(v) else v.to_pydatetime() for v in series]
        elif pd.api.types.is_float_dtype(series.dtype):
            array = series.to_numpy(dtype="float64")
            values = [None if np.isnan(v) else float(v) for v in array]
        elif pd.api.types.is_integer_dtype(series.dtype):
            values = [None if pd.isna(v) else int(v) for v in series]
        else:
            values = [
                None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
                for v in series
            ]
        converted[name] = values
    n = len(frame)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        yield [{name: converted[name][i] for name in columns} for i in range(start, stop)]


def write_frame(connection: Connection, table: Table, frame: pd.DataFrame, progress=None) -> int:
    """Insert every row of `frame` (columns named as the table's) in chunks; return the count.

    The caller owns the transaction. `progress(rows_done)` is called after each chunk."""
    columns = [c for c in frame.columns if c in table.c]
    done = 0
    for chunk in _records(frame, columns):
        connection.execute(insert(table), chunk)
        done += len(chunk)
        if progress:
            progress(done)
    return done
