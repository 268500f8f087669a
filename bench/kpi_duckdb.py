"""The reference bench/bench_kpi.py measures the store against (issue 11: "the same figure
computed by DuckDB over a Parquet export of the same cases"): the store's contract tables
exported once to Parquet (pandas reads them in chunks, DuckDB writes them), and each KPI of
the catalogue translated to DuckDB SQL here, written from the spec and not from
store/kpi_sql.py, so a wrong translation in either shows as a disagreement. The rules are the
pandas reference's (domain/kpi_frames.py): half-open windows, NULL in no list, comparisons with
NULL false, the inverted-CDF percentile (DuckDB's quantile_disc), a mean/share/percentile of
nothing None, a count or sum of nothing 0."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlalchemy import JSON, Boolean, Date, Float, Integer, Text

from domain.kpis import NOW, KpiSpec, periods_in
from store.models import CONTRACT_TABLES
from store.types import UtcDateTime

CHUNK_ROWS = 250_000


def _duck_type(column: Any) -> str | None:
    """The DuckDB type of a store column; None for the ones no KPI reads (JSON, long text:
    left out to keep the export short)."""
    kind = column.type
    if isinstance(kind, JSON | Text):
        return None
    if isinstance(kind, UtcDateTime):
        return "TIMESTAMPTZ"
    if isinstance(kind, Date):
        return "DATE"
    if isinstance(kind, Boolean):
        return "BOOLEAN"
    if isinstance(kind, Integer):
        return "BIGINT"
    if isinstance(kind, Float):
        return "DOUBLE"
    return "VARCHAR"


def export(engine: Any, contracts: list[str], folder: Path) -> dict[str, int]:
    """Each contract's table as `folder`/<contract>.parquet, read CHUNK_ROWS at a time into a
    DuckDB table of the columns' types and written by DuckDB's own Parquet writer (no pyarrow:
    installed, it would change pandas' string type for the whole test suite); the rows written
    per contract."""
    written: dict[str, int] = {}
    db = duckdb.connect()
    try:
        for contract in contracts:
            table = CONTRACT_TABLES[contract]
            columns = [(c.name, t) for c in table.c if (t := _duck_type(c)) is not None]
            # names quoted: `at` (case events, readings) is a DuckDB keyword
            fields = ", ".join(f'"{n}" {t}' for n, t in columns)
            db.execute(f"CREATE TABLE {contract} ({fields})")
            # plain SQL (no per-value type processing): times are converted per column, vectorised
            sql = f"SELECT {', '.join(name for name, _ in columns)} FROM {contract}"  # the table's name
            rows = 0
            with engine.connect() as connection:
                for chunk in pd.read_sql_query(
                    sql, connection.connection.driver_connection, chunksize=CHUNK_ROWS
                ):
                    for name, kind in columns:
                        if kind == "TIMESTAMPTZ":
                            chunk[name] = pd.to_datetime(chunk[name], utc=True, format="ISO8601")
                        elif kind == "DATE":
                            chunk[name] = pd.to_datetime(chunk[name])
                        elif kind == "VARCHAR":
                            chunk[name] = chunk[name].astype(object)
                    db.register("chunk", chunk)
                    casts = ", ".join(f'CAST("{n}" AS {t})' for n, t in columns)
                    db.execute(f"INSERT INTO {contract} SELECT {casts} FROM chunk")
                    db.unregister("chunk")
                    rows += len(chunk)
            target = str(folder / f"{contract}.parquet").replace("'", "''")
            db.execute(f"COPY {contract} TO '{target}' (FORMAT parquet)")
            written[contract] = rows
    finally:
        db.close()
    return written


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _conditions(conditions: Mapping[str, Mapping[str, Any]], now: datetime) -> list[str]:
    out = []
    for name, condition in conditions.items():
        column = f'"{name}"'
        if "in" in condition:
            out.append(f"{column} IN ({', '.join(_literal(v) for v in condition['in'])})")
        if "not_in" in condition:  # NULL is in no list: a missing value is kept
            listed = ", ".join(_literal(v) for v in condition["not_in"])
            out.append(f"({column} NOT IN ({listed}) OR {column} IS NULL)")
        if "le_field" in condition:
            out.append(f'{column} <= "{condition["le_field"]}"')
        if "gt_field" in condition:
            out.append(f'{column} > "{condition["gt_field"]}"')
        if condition.get("before_now"):
            out.append(f"{column} < {_literal(now)}")
        if "is_null" in condition:
            out.append(f"{column} IS {'' if condition['is_null'] else 'NOT '}NULL")
    return out


class Reference:
    """DuckDB over the Parquet export in `folder`: the figure of a spec, and its time."""

    def __init__(self, folder: Path, contracts: list[str]) -> None:
        self.db = duckdb.connect()
        for contract in contracts:
            path = str(folder / f"{contract}.parquet").replace("'", "''")
            self.db.execute(f"CREATE VIEW {contract} AS SELECT * FROM read_parquet('{path}')")

    def close(self) -> None:
        self.db.close()

    def _measured(self, spec: KpiSpec, now: datetime) -> str:
        if spec.duration is not None:
            end = _literal(now) if spec.duration.end == NOW else f'"{spec.duration.end}"'
            return f'((epoch_us({end}) - epoch_us("{spec.duration.start}")) / 3600000000.0)'
        return f'CAST("{spec.field}" AS DOUBLE)'

    def _window(self, spec: KpiSpec, start: datetime | None, end: datetime | None, zone: Any) -> list[str]:
        if spec.window is None or start is None or end is None:
            return []
        column = f'"{spec.window.field}"'
        if spec.yearly:
            year = end.astimezone(zone).year
            latest = f"(SELECT max({column}) FROM {spec.contract} WHERE {column} <= {year})"
            return [f"{column} <= {latest}", f"{column} > {latest} - {spec.window.years or 1}"]
        return [f"{column} >= {_literal(start)}", f"{column} < {_literal(end)}"]

    def sql(self, spec: KpiSpec, now: datetime, zone: Any, start: datetime | None, end: datetime | None,
            filters: Mapping[str, str], by: str | None) -> str:  # fmt: skip
        """One aggregate query: (group, figure) rows; the group is 0 without `by`."""
        base = self._window(spec, start, end, zone) + [f'"{k}" = {_literal(v)}' for k, v in filters.items()]
        if by is not None:
            base.append(f'"{by}" IS NOT NULL')
        group = f'CAST("{by}" AS VARCHAR)' if by is not None else "0"
        if spec.measure == "share":
            hit = " AND ".join(_conditions(spec.where, now)) or "TRUE"
            where = base + _conditions(spec.of, now)
            figure = f"CAST(count(*) FILTER (WHERE {hit}) AS DOUBLE) / NULLIF(count(*), 0)"
        else:
            where = base + _conditions(spec.where, now)
            figure = {
                "count": "CAST(count(*) AS DOUBLE)",
                "rate": "CAST(count(*) AS DOUBLE)",
                "distinct": f'CAST(count(DISTINCT "{spec.field}") AS DOUBLE)',
                "sum": f"coalesce(sum({self._measured(spec, now)}), 0)",
                "mean": f"avg({self._measured(spec, now)})",
                "percentile": f"quantile_disc({self._measured(spec, now)}, {spec.q or 0.5})",
            }[spec.measure]
        sql = f"SELECT {group} AS g, {figure} AS v FROM {spec.contract}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql + (" GROUP BY 1" if by is not None else "")

    def figure(self, spec: KpiSpec, now: datetime, zone: Any, start: datetime | None = None,
               end: datetime | None = None, filters: Mapping[str, str] | None = None,
               by: str | None = None) -> tuple[dict[str, float | None], float]:  # fmt: skip
        """The figure (under the key "" without `by`, else per group) and the query's time in
        ms. `start`/`end` None: the spec's own window."""
        if spec.window is not None and start is None:
            start, end = spec.window.bounds(now, zone)
        sql = self.sql(spec, now, zone, start, end, filters or {}, by)
        began = time.perf_counter()
        rows = self.db.execute(sql).fetchall()
        total = None
        if spec.total is not None:
            kept = " AND ".join(_conditions(spec.total_where, now))  # the rows expected to count
            counting = f"SELECT count(*) FROM {spec.total}" + (f" WHERE {kept}" if kept else "")
            total = self.db.execute(counting).fetchone()[0]  # type: ignore[index]
        elapsed = (time.perf_counter() - began) * 1000
        out: dict[str, float | None] = {}
        for g, v in rows:
            found = None if v is None else float(v)
            if spec.measure == "rate" and found is not None:
                assert start is not None and end is not None
                found /= periods_in(spec, start, end)
            if spec.total is not None and found is not None:
                found = found / total if total else None
            if spec.measure == "percentile" and by is not None and found is None:
                continue  # a percentile's groups are those with a value
            if spec.measure == "share" and found is None and by is not None:
                continue  # a group without a denominator is not listed
            out["" if by is None else str(g)] = found
        return out, elapsed


def agree(a: float | None, b: float | None, tolerance: float = 1e-6) -> bool:
    """Equal to `tolerance` relative (absolute near zero); both None agree."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-12) or abs(a - b) < 1e-12
