"""SQL of the feed worker: storing readings and rolling old ones into hourly aggregates.

Readings are unique per sensor, quantity and time (migration 0006), so a batch is written with
one INSERT … ON CONFLICT DO NOTHING through the driver's executemany: a duplicate (a QoS 1
message delivered twice, a replay) is dropped by the store whichever process wrote the first,
and the count of rows written tells how many were new. Times are written as the store keeps
them (store/types.py): naive UTC text on SQLite, aware datetimes on PostgreSQL.

Raw readings older than the retention window are rolled into readings_hourly (n, mean, min,
max per sensor, quantity and hour) and deleted, an hour at a time, so each step is bounded. An
hour rolled before and rolled again (a late reading for it arrived) is merged with its
aggregate, never replaces it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import Connection, Table, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from store.bulk import bare_table, driver_sql
from store.models import Reading, ReadingHourly
from store.types import SQLITE_TIME_FORMAT

READINGS: Table = Reading.__table__  # type: ignore[assignment]
HOURLY: Table = ReadingHourly.__table__  # type: ignore[assignment]
COLUMNS = ["sensor_id", "quantity", "unit", "value", "at"]
KEY = ["sensor_id", "quantity", "at"]
HOUR = timedelta(hours=1)
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class RolledUp(NamedTuple):
    hours: int  # hours of raw readings rolled
    readings: int  # raw rows aggregated and deleted
    aggregates: int  # hourly rows written (new or merged)


def _insert(connection: Connection, table_: Any) -> Any:
    name = connection.dialect.name
    if name not in _INSERTS:
        raise NotImplementedError(f"the feed worker needs SQLite or PostgreSQL, not {name}")
    return _INSERTS[name](table_)


def insert_readings(connection: Connection, rows: Sequence[Sequence[Any]]) -> int:
    """Write `rows` ((sensor_id, quantity, unit, value, at) with `at` aware) in the caller's
    transaction, dropping those the store already holds; the count of rows written. Raises
    ValueError for a naive time."""
    if not rows:
        return 0
    if connection.dialect.name == "postgresql":
        return _insert_unnest(connection, rows)
    sql, order = driver_sql(
        connection.dialect,
        _insert(connection, bare_table(READINGS, COLUMNS)).on_conflict_do_nothing(index_elements=KEY),
        COLUMNS,
    )
    at = COLUMNS.index("at")
    as_text = connection.dialect.name == "sqlite"
    params: list[Any] = []
    for row in rows:
        moment = row[at]
        if moment.tzinfo is None:
            raise ValueError(f"naive reading time {moment!r}; times must be timezone-aware")
        moment = moment.astimezone(UTC)
        values = [*row[:at], moment.replace(tzinfo=None).strftime(SQLITE_TIME_FORMAT) if as_text else moment]
        params.append(dict(zip(COLUMNS, values, strict=True)) if order is None else tuple(values))
    if order is not None and order != COLUMNS:
        index = [COLUMNS.index(name) for name in order]
        params = [tuple(p[i] for i in index) for p in params]
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.executemany(sql, params)
        # both drivers sum the rows an executemany changed; ON CONFLICT DO NOTHING changes none
        return int(cursor.rowcount)
    finally:
        cursor.close()


# PostgreSQL: the batch as five arrays in one statement. psycopg's executemany pipelines a
# statement per row, ~0.2 ms each in Python; this is one round trip whatever the batch's size.
_UNNEST = (
    "INSERT INTO {table} (sensor_id, quantity, unit, value, at) "
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::float8[], %s::timestamptz[]) "
    "ON CONFLICT (sensor_id, quantity, at) DO NOTHING"
)


def _insert_unnest(connection: Connection, rows: Sequence[Sequence[Any]]) -> int:
    columns: list[list[Any]] = [[], [], [], [], []]
    for row in rows:
        for values, value in zip(columns, row, strict=True):
            values.append(value)
    if any(moment.tzinfo is None for moment in columns[4]):
        raise ValueError("naive reading time; times must be timezone-aware")
    driver = connection.connection.driver_connection
    assert driver is not None
    table = connection.dialect.identifier_preparer.format_table(READINGS)
    with driver.cursor() as cursor:
        cursor.execute(_UNNEST.format(table=table), columns)
        return int(cursor.rowcount)


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def roll_up_hour(connection: Connection, before: datetime) -> RolledUp:
    """Roll the oldest hour of raw readings into readings_hourly and delete them, when that hour
    ends at or before `before` (floored to the hour); RolledUp(0, 0, 0) when there is none. In the
    caller's transaction (begin_write: the hour's aggregate is read and written under the lock)."""
    cutoff = floor_hour(before)
    oldest = connection.execute(select(func.min(READINGS.c.at))).scalar_one_or_none()
    if oldest is None:
        return RolledUp(0, 0, 0)
    start = floor_hour(oldest)
    end = start + HOUR
    if end > cutoff:
        return RolledUp(0, 0, 0)
    span = (READINGS.c.at >= start, READINGS.c.at < end)
    rows = connection.execute(select(*(READINGS.c[c] for c in COLUMNS)).where(*span)).all()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    grouped = frame.groupby(["sensor_id", "quantity"], sort=True)
    fresh = grouped["value"].agg(["count", "mean", "min", "max"]).rename(columns={"count": "n"})
    fresh["unit"] = grouped["unit"].last()
    merged = _merge(connection, fresh.reset_index(), start)
    if not merged.empty:
        statement = _insert(connection, HOURLY)
        statement = statement.on_conflict_do_update(
            index_elements=["sensor_id", "quantity", "hour"],
            set_={c: statement.excluded[c] for c in ("unit", "n", "mean", "min", "max")},
        )
        connection.execute(statement, merged.to_dict("records"))
    deleted = connection.execute(delete(READINGS).where(*span)).rowcount
    return RolledUp(1, int(deleted), len(merged))


def _merge(connection: Connection, fresh: pd.DataFrame, hour: datetime) -> pd.DataFrame:
    """`fresh` aggregates of `hour` combined with those the store already has for it."""
    fresh = fresh.assign(hour=hour)
    if fresh.empty:
        return fresh
    keys = list(zip(fresh["sensor_id"], fresh["quantity"], strict=True))
    known = connection.execute(
        select(
            HOURLY.c.sensor_id, HOURLY.c.quantity, HOURLY.c.n, HOURLY.c.mean, HOURLY.c.min, HOURLY.c.max
        ).where(HOURLY.c.hour == hour, tuple_(HOURLY.c.sensor_id, HOURLY.c.quantity).in_(keys))
    ).all()
    if known:
        old = pd.DataFrame(known, columns=["sensor_id", "quantity", "n0", "mean0", "min0", "max0"])
        both = fresh.merge(old, on=["sensor_id", "quantity"], how="left")
        had = both["n0"].notna()
        n0 = both["n0"].fillna(0)
        total = both["n"] + n0
        both.loc[had, "mean"] = (both["mean"] * both["n"] + both["mean0"].fillna(0) * n0)[had] / total[had]
        both.loc[had, "min"] = both[["min", "min0"]].min(axis=1)[had]
        both.loc[had, "max"] = both[["max", "max0"]].max(axis=1)[had]
        both["n"] = total.astype("int64")
        fresh = both.drop(columns=["n0", "mean0", "min0", "max0"])
    fresh["n"] = fresh["n"].astype(int)
    return fresh[["sensor_id", "quantity", "unit", "hour", "n", "mean", "min", "max"]]
