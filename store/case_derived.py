"""Figures of a case that the KPIs aggregate, kept by the store itself as generated columns
(migration 0015): the hours of each stage of the loop and whether a case closed by its deadline.

Why: the KPIs over a 30-day window read ~120,000 cases. Computed per row from text times
(SQLite's julianday(), PostgreSQL's EXTRACT(EPOCH ...)) and read from the wide `cases` rows,
they were 5-28× slower than DuckDB over the same rows (bench/results/bench_kpi_1m_*). As
generated columns the database computes them at every write, whatever writes the case (the
case commands, imports, syncs, the demo seed, the live simulator): no writer has to know, and
the window indexes can carry the few bytes of a number instead of two times as text.
store/kpi_sql.py reads a stored column wherever a KPI asks for the same duration or
comparison; the expression is the same one it computed before, so the answers do not move.

PostgreSQL keeps them as STORED generated columns. SQLite (3.40 here) never reads a generated
column from an index, VIRTUAL or STORED (EXPLAIN QUERY PLAN: "USING INDEX", the row fetched,
never "COVERING INDEX"), which is the whole point; so on SQLite they are plain columns that
triggers set after every insert and every change of the times they come from (migration 0015,
`sqlite_assignments`), as the data versions' triggers do (0010). The models declare them
generated, so tables made from the models (tests) compute them too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Computed, Float, Integer, case, column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

# stored column → (from, to): the hours between two time columns of a case
HOURS = {
    "handling_hours": ("reported_at", "closed_at"),
    "dispatch_hours": ("reported_at", "dispatched_at"),
    "fieldwork_hours": ("dispatched_at", "handled_at"),
    "verify_hours": ("handled_at", "verified_at"),
}
# stored column → (a, b): 1 when a <= b, 0 when a > b, NULL when either is missing
ON_TIME = {"closed_on_time": ("closed_at", "sla_deadline")}
STORED = (*HOURS, *ON_TIME)
SOURCES = sorted({c for pair in (*HOURS.values(), *ON_TIME.values()) for c in pair})  # what they read

# the indexes the KPIs' windows are read from alone (migration 0015 wrote this revision of them;
# figures in its docstring): by closing or reporting time, whole park and within a department
KPI_INDEXES = {
    "ix_cases_closed_covering": ("closed_at", "department", "status", "closed_on_time", "satisfaction",
                                 "handling_hours", "fieldwork_hours", "verify_hours"),
    "ix_cases_reported_covering": ("reported_at", "department", "channel", "status", "repeat_of",
                                   "dispatch_hours"),
    "ix_cases_department_closed_covering": ("department", "closed_at", "grid_cell", "case_type", "status",
                                            "closed_on_time", "handling_hours"),
    "ix_cases_department_reported_covering": ("department", "reported_at", "grid_cell", "case_type"),
}  # fmt: skip


class Hours(FunctionElement[float]):
    """Hours from one time column to another."""

    name = "hours_between"
    inherit_cache = True
    type = Float()


@compiles(Hours, "sqlite")
def _hours_sqlite(element: Hours, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(Hours)
def _hours_plain(element: Hours, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


def _expression(name: str) -> ColumnElement[Any]:
    if name in HOURS:
        start, end = HOURS[name]
        return Hours(column(start), column(end))
    a, b = ON_TIME[name]
    return case((column(a) <= column(b), 1), (column(a) > column(b), 0))


def sqlite_assignments() -> str:
    """`column = expression, ...` of every stored column, for an UPDATE of cases on SQLite."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    compiled = (
        _expression(n).compile(dialect=dialect, compile_kwargs={"literal_binds": True}) for n in STORED
    )
    return ", ".join(f"{name} = {sql}" for name, sql in zip(STORED, compiled, strict=True))


def generated(name: str, persisted: bool | None = True) -> Computed:
    """The generation of stored column `name`; `persisted=None` lets SQLite add it VIRTUAL."""
    return Computed(_expression(name), persisted=persisted)


def column_type(name: str) -> type[Float] | type[Integer]:
    return Float if name in HOURS else Integer


def hours_column(start: str, end: str) -> str | None:
    """The stored column holding the hours from `start` to `end`, if there is one."""
    return next((name for name, pair in HOURS.items() if pair == (start, end)), None)


def comparison_column(a: str, b: str) -> str | None:
    """The stored column holding whether `a` <= `b`, if there is one."""
    return next((name for name, pair in ON_TIME.items() if pair == (a, b)), None)


def is_generated(table: Any, name: str) -> bool:
    """Whether `name` is a column the database computes (never written by the store)."""
    return name in table.c and table.c[name].computed is not None
