"""SQL of case imports: which of a batch's ids the store holds, and the batch's upsert (new ids
inserted, known ones updated in place), through the driver's executemany (store/bulk.py).

The upsert is one INSERT … ON CONFLICT (id) DO UPDATE in the engine's own dialect (SQLite and
PostgreSQL both have it), so a re-import never duplicates a case whichever process runs it. An
update writes only the columns the batch carries and only when one of them differs, and then
raises the case's version (an officer looking at the old state is told it changed) and, when
the status changes, its status time."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import (
    ARRAY,
    Connection,
    String,
    any_,
    bindparam,
    case,
    column,
    insert,
    literal_column,
    select,
    table,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite

from store.bulk import bare_table, copy_rows, driver_rows, driver_sql, execute_rows, written_columns
from store.models import Case

CASES = Case.__table__
KEY = "id"
# written on insert only: an update leaves the loop's bookkeeping to the update's own rules
INSERT_ONLY = ("version",)
# how many ids one IN (…) lists; SQLite allows 32,766 parameters per statement
LOOKUP_IDS = 10_000
# the batch is copied (PostgreSQL) or inserted (SQLite) into this temporary table, then upserted
# in one statement
STAGE = "import_batch"


def existing_statuses(connection: Connection, ids: list[str]) -> dict[str, str]:
    """{id: status} of the `ids` the store holds."""
    found: dict[str, str] = {}
    if connection.dialect.name == "postgresql":  # one array parameter, not one per id
        listed = bindparam("ids", ids, type_=ARRAY(String))
        rows = connection.execute(select(CASES.c.id, CASES.c.status).where(CASES.c.id == any_(listed)))
        return {row[0]: row[1] for row in rows}
    for start in range(0, len(ids), LOOKUP_IDS):
        part = ids[start : start + LOOKUP_IDS]
        rows = connection.execute(select(CASES.c.id, CASES.c.status).where(CASES.c.id.in_(part)))
        found.update((row[0], row[1]) for row in rows)
    return found


def _upsert_statement(connection: Connection, columns: list[str], staged: bool = False) -> Any:
    dialects = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    name = connection.dialect.name
    if name not in dialects:
        raise NotImplementedError(f"case imports need SQLite or PostgreSQL, not {name}")
    target = bare_table(CASES, columns)
    statement = dialects[name](target)
    if staged:
        # WHERE true: SQLite would otherwise read the ON of ON CONFLICT as a join's
        statement = statement.from_select(
            columns, select(*(column(c) for c in columns)).select_from(table(STAGE)).where(true())
        )
    new = statement.excluded
    updated = [c for c in columns if c not in (KEY, *INSERT_ONLY, "status_at")]
    values: dict[str, Any] = {c: new[c] for c in updated}
    # a literal, not a bound 1: the statement binds exactly the batch's columns (driver_sql)
    values["version"] = target.c.version + literal_column("1")
    if "status_at" in columns:
        values["status_at"] = case(
            (target.c.status.is_distinct_from(new.status), new.status_at), else_=target.c.status_at
        )
    changed = tuple_(*(target.c[c] for c in updated)).is_distinct_from(tuple_(*(new[c] for c in updated)))
    return statement.on_conflict_do_update(index_elements=[KEY], set_=values, where=changed)


def upsert_cases(connection: Connection, frame: pd.DataFrame) -> int:
    """Insert or update every row of `frame` (columns named as the cases table's, `id` and
    `version` among them) in the caller's transaction; the count of rows sent. Raises
    ValueError for a naive time column."""
    columns = written_columns(frame, CASES)
    if frame.empty:
        return 0
    if KEY not in columns or "version" not in columns:
        raise ValueError("an upsert of cases needs the id and version columns")
    rows = driver_rows(connection, CASES, frame, columns)
    if connection.dialect.name == "postgresql":
        # COPY into a temporary table of the same column types, then one INSERT … SELECT
        names = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {STAGE} ON COMMIT DROP AS SELECT {names} FROM {CASES.name} WITH NO DATA"
        )
        copy_rows(connection, STAGE, columns, rows)
        connection.execute(_upsert_statement(connection, columns, staged=True))
        connection.exec_driver_sql(f"DROP TABLE {STAGE}")
        return len(rows)
    # SQLite: staged too. The cases table has row triggers (the data versions, migration 0010),
    # and with a trigger every statement opens a statement journal copying each page it
    # changes: one upsert per row measured 3 times slower for 20,000 new cases. The stage's
    # columns have no type, so values reach the cases table exactly as a direct insert's would.
    names = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGE} ({names})")
    stage = table(STAGE, *(column(c) for c in columns))
    sql, order = driver_sql(connection.dialect, insert(stage), columns)
    execute_rows(connection, sql, order, columns, rows)
    connection.execute(_upsert_statement(connection, columns, staged=True))
    connection.exec_driver_sql(f"DROP TABLE {STAGE}")
    return len(rows)
