"""Why a KPI misses its figure: the statements store/kpi_sql.py sends for one question, caught
as they go to the driver, and the store's plan of each (SQLite: EXPLAIN QUERY PLAN;
PostgreSQL: EXPLAIN (ANALYZE, BUFFERS), which runs the statement once more and says where the
time went). Written to a plans file beside the figures, since a plan is many lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from sqlalchemy import event


def statements(engine: Any, call: Callable[[], object]) -> list[tuple[str, Any]]:
    """The (statement, parameters) pairs `call()` sends through `engine`."""
    caught: list[tuple[str, Any]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        caught.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    # the data-version read and other bookkeeping are not the KPI's
    return [(s, p) for s, p in caught if "data_versions" not in s]


def explain(engine: Any, name: str, call: Callable[[], object], out: TextIO) -> None:
    """Each statement of `call()` and its plan, under a heading naming the question."""
    postgresql = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
    out.write(f"\n## {name}\n")
    for statement, parameters in statements(engine, call):
        out.write(f"-- statement\n{statement.strip()}\n-- parameters {parameters!r}\n-- plan\n")
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
        for row in rows:
            # SQLite: (id, parent, notused, detail); PostgreSQL: one text column a line
            out.write(("  " + " | ".join(str(v) for v in row[:2]) + "  " + str(row[-1])) if not postgresql
                      else str(row[0]))  # fmt: skip
            out.write("\n")
    out.flush()
