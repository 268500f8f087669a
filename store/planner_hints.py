"""Hints for SQLite's query planner, written into SQLAlchemy expressions that compile to plain SQL
on every other engine (PostgreSQL's planner has per-value statistics and needs none).

SQLite's statistics (ANALYZE's sqlite_stat1) hold one average per index column: "a status
matches 183,342 of 1,100,050 cases", when 1,095,904 are closed and 412 handled. So a filter on
the open statuses looks unselective, and the planner walks the newest-first index past a million
closed cases to find 100 open ones (2.7 s on 1,000,000 cases, bench/bench_cases.py) instead of
reading the few hundred open cases and sorting them (under 5 ms). The two documented ways to
tell it better (https://www.sqlite.org/lang_corefunc.html#likelihood,
https://www.sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_):

- `rare(condition)`: likelihood(condition, 0.01), "this is true of few rows";
- `unindexed(column)`: +column, which keeps a term from choosing the index, so that the planner
  walks the index of the sort order instead (when the caller knows many rows match), or an order
  from being read off an index (when few match). On PostgreSQL a time plus nothing does the
  latter, for the one case its statistics miss too (case_query._plan)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Engine, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from store.types import UtcDateTime

RARE = 0.01


class _Likelihood(FunctionElement[bool]):
    # no Boolean type: SQLAlchemy would write "likelihood(...) = 1" for SQLite, which hides the
    # condition inside from the planner's index choice
    name = "likelihood"
    inherit_cache = True


class _Unindexed(FunctionElement[Any]):
    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type  # the column's own binding (UTC times, strings) applies


def rare(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, which the caller knows is true of few rows."""
    return _Likelihood(condition, literal_column(repr(RARE)))  # SQLite wants a constant, not a ?


def unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column`, kept from choosing an index for the term it is in."""
    return _Unindexed(column)


def _first(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    return compiler.process(list(element.clauses)[0], **kw)


@compiles(_Likelihood)
def _likelihood_plain(element: _Likelihood, compiler: Any, **kw: Any) -> str:
    return _first(element, compiler, **kw)


@compiles(_Likelihood, "sqlite")
def _likelihood_sqlite(element: _Likelihood, compiler: Any, **kw: Any) -> str:
    condition, probability = list(element.clauses)
    return f"likelihood({compiler.process(condition, **kw)}, {compiler.process(probability, **kw)})"


@compiles(_Unindexed)
def _unindexed_plain(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return _first(element, compiler, **kw)


@compiles(_Unindexed, "postgresql")
def _unindexed_postgresql(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    """An expression no index is on, of the same value: a time plus nothing (PostgreSQL has no
    unary plus for times and text); other types as they are."""
    column = _first(element, compiler, **kw)
    if isinstance(element.type, UtcDateTime | DateTime):
        return f"({column} + interval '0 seconds')"
    return column


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{_first(element, compiler, **kw)}"


def analyse(engine: Engine, table_names: list[str]) -> None:
    """Statistics for the tables just bulk-written. PostgreSQL: VACUUM (ANALYZE), so that the
    planner knows them and counts can read the visibility map (a department's cases of
    1,000,000: 986 estimated without, 238,303 there; the Cases grid's count read the heap,
    1.0-1.3 s, against 75-270 ms after); autovacuum gets there only minutes later on a busy
    server. SQLite: ANALYZE (1.3 s for 1,000,000 cases), without which it picks the department's
    index over a grid cell's for a department's cases in one cell (230-440 ms against 5 ms); the
    averages it cannot see past are what `rare` and `unindexed` are for. Outside any transaction."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in table_names:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f'VACUUM (ANALYZE) "{name}"')
            else:
                connection.exec_driver_sql(f'ANALYZE "{name}"')
