"""Create the store's engine. SQLite gets WAL (readers never block the writer) and a busy
timeout so the web process and the worker can share one file."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool

BUSY_TIMEOUT_S = 30
# SQLite connections kept open per process: a KPI read is a few ms, and opening a file with the
# pragmas below costs about 1 ms of it (bench/bench_kpi.py). More are opened when needed and
# closed when returned beyond these.
SQLITE_POOL_SIZE = 8


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine for `url`; creates the SQLite file's folder. Does not connect."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pooled = _plain_file(parsed.database) and "poolclass" not in kwargs
        if pooled:
            kwargs |= {"poolclass": QueuePool, "pool_size": SQLITE_POOL_SIZE, "max_overflow": -1}
        else:
            kwargs.setdefault("poolclass", NullPool)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if pooled:
            _drop_connections_to_a_replaced_file(engine, str(parsed.database))
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _plain_file(database: str | None) -> bool:
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _drop_connections_to_a_replaced_file(engine: Engine, path: str) -> None:
    """A pooled connection keeps reading the file it opened, even after that file was replaced
    (`store init --fresh`, a restore) or removed; and one opened before a fork belongs to the
    parent. Such a connection is discarded when checked out, and a new one opens the file that
    is there now (SQLAlchemy retries the checkout on DisconnectionError)."""

    @event.listens_for(engine, "connect")
    def remember(_dbapi_connection: Any, record: Any) -> None:
        record.info["file"] = _file_identity(path)
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def still_the_same_file(_dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("pid") != os.getpid():
            # never closed here: closing the parent's file in a child drops the parent's locks
            record.dbapi_connection = proxy.dbapi_connection = None
            raise exc.DisconnectionError("a connection opened by another process")
        if record.info.get("file") != _file_identity(path):
            raise exc.DisconnectionError(f"{path} was replaced or removed since it was opened")


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
