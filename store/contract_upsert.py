"""Upserts of contract rows keyed by their contract's key (enterprises by id, their figures by
enterprise and year, chain links by chain and link): new keys inserted, known ones updated in
place, in one INSERT … ON CONFLICT DO UPDATE of the engine's own dialect (SQLite and PostgreSQL
both have it), through the driver's executemany (store/bulk.py). Only the columns the frame
carries are written, so a source that does not give a column leaves what another gave."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite

from store.bulk import bare_table, driver_rows, driver_sql, execute_rows, written_columns

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def upsert_rows(
    connection: Connection, table: Table, frame: pd.DataFrame, key: tuple[str, ...]
) -> tuple[int, int]:
    """Insert or update every row of `frame` (columns named as `table`'s; `key` the columns of
    one of its unique constraints) in the caller's transaction: (rows inserted, rows updated).
    Raises ValueError when a key column is missing or a time column is naive, and
    NotImplementedError on an engine other than SQLite and PostgreSQL."""
    if connection.dialect.name not in _INSERTS:
        raise NotImplementedError(f"upserts need SQLite or PostgreSQL, not {connection.dialect.name}")
    columns = written_columns(frame, table)
    missing = [k for k in key if k not in columns]
    if missing:
        raise ValueError(f"an upsert of {table.name} needs its key column {missing[0]!r}")
    if frame.empty:
        return 0, 0
    before = _count(connection, table)
    target = bare_table(table, columns)
    statement: Any = _INSERTS[connection.dialect.name](target)
    changed = {c: statement.excluded[c] for c in columns if c not in key}
    statement = (
        statement.on_conflict_do_update(index_elements=list(key), set_=changed)
        if changed
        else statement.on_conflict_do_nothing(index_elements=list(key))
    )
    sql, order = driver_sql(connection.dialect, statement, columns)
    sent = execute_rows(connection, sql, order, columns, driver_rows(connection, table, frame, columns))
    inserted = _count(connection, table) - before
    return inserted, sent - inserted


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
