"""Create the store's engine. SQLite gets WAL (readers never block the writer) and a busy
timeout so the web process and the worker can share one file."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

BUSY_TIMEOUT_S = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine for `url`; creates the SQLite file's folder. Does not connect."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No pool: opening an SQLite file costs microseconds, and a pooled connection would keep
        # reading a file that was replaced or removed underneath it.
        kwargs.setdefault("poolclass", NullPool)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the store's write lock from its start, so that
    what it reads cannot change before it writes (a compare-and-set across processes).

    On SQLite the transaction begins with BEGIN IMMEDIATE: pysqlite would begin one only at the
    first INSERT or UPDATE, and never before DDL, leaving the reads before it unprotected.
    Elsewhere it is an ordinary transaction; take row or advisory locks inside it as needed.
    Blocks while another process writes (up to the busy timeout on SQLite); commits on leaving,
    rolls back on an exception."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                yield connection
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        legacy_isolation = driver.isolation_level
        driver.isolation_level = None  # we issue BEGIN; pysqlite still issues the COMMIT
        try:
            with connection.begin():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield connection
        finally:
            driver.isolation_level = legacy_isolation


def existing_only(url: str, *, read_only: bool = False) -> str:
    """For an SQLite file, a URL that opens it read-write (or only for reading) but never
    creates it: a reader that finds no file must report the source unavailable, not read a new
    empty database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    if parsed.database.startswith("file:"):
        return url
    query = {**parsed.query, "mode": "ro" if read_only else "rw", "uri": "true"}
    return parsed.set(database=f"file:{parsed.database}", query=query).render_as_string(hide_password=False)


def _use_wal(cursor: sqlite3.Cursor) -> None:
    # WAL is kept in the file, so only the first connections to a new file switch to it. The
    # switch needs every other connection out of the way, and while another holds a write lock
    # (a worker migrating the new file) SQLite answers "database is locked" at once, without
    # waiting for the busy timeout: so wait here, as the busy timeout would have.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()
