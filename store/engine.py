"""Create the store's engine. SQLite gets WAL (readers never block the writer) and a busy
timeout so the web process and the worker can share one file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine for `url`; creates the SQLite file's folder. Does not connect."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No pool: opening an SQLite file costs microseconds, and a pooled connection would keep
        # reading a file that was replaced or removed underneath it.
        kwargs.setdefault("poolclass", NullPool)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def existing_only(url: str) -> str:
    """For an SQLite file, a URL that opens it read-write but never creates it: a reader
    that finds no file must report the source unavailable, not read a new empty database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    if parsed.database.startswith("file:"):
        return url
    query = {**parsed.query, "mode": "rw", "uri": "true"}
    return parsed.set(database=f"file:{parsed.database}", query=query).render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
