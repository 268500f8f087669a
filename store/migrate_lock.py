"""One process at a time prepares the store at start (migrations, then the demo park's seed).

Gunicorn's workers each build the app, so several start at once on the same store. The
migrations alone are serialised inside Alembic's transaction (store/migrations/env.py), but the
demo park's "is the store empty? then seed it" comes after that transaction: two processes
could both find the store empty and both generate the park. This lock covers the whole
preparation, so the first process migrates and seeds and the others wait, then find the schema
current and the park there.

SQLite: an exclusive flock on a lock file beside the database (`<store>.start-lock`). The lock
file is never deleted: deleting it while another process waits on it would let a third lock a
new file of the same name. The kernel releases the lock when its process dies.
PostgreSQL: a session advisory lock on a connection of its own, keyed by the store's schema (two
stores in one database do not wait for each other), released on leaving (or by the server when
that connection ends, so a crashed process never leaves it held).
Other databases and SQLite in memory are not locked."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

# Any constant, the same in every process, different from the migrations' own key (env.py).
START_LOCK_KEY = 0x0E5C_0002
LOCK_SUFFIX = ".start-lock"
_KEYS = ":key, hashtext(coalesce(current_schema(), ''))"  # two-int form: a lock per schema


@contextmanager
def store_start_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's start-up lock for the block. Blocks while another process holds it
    (for as long as that process's migrations and seed take: no timeout, as a second process
    cannot do anything useful before the first has finished)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
        return
    lock_path = sqlite_lock_path(engine)
    if lock_path is None:
        yield
        return
    with _file_lock(lock_path):
        yield


def sqlite_lock_path(engine: Engine) -> Path | None:
    """The lock file beside an SQLite store's file; None for a store in memory or not SQLite."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database[len("file:") :]
    return Path(database).with_name(Path(database).name + LOCK_SUFFIX)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:  # noqa: PTH123 - the descriptor is what flock needs
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is preparing the store; waiting for it (%s)", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as connection:
        # autocommit: the lock is the session's, and this connection must not sit "idle in
        # transaction" (holding a snapshot) while the others migrate and seed
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        key = {"key": START_LOCK_KEY}
        if not connection.execute(text(f"SELECT pg_try_advisory_lock({_KEYS})"), key).scalar():
            log.info("another process is preparing the store; waiting for it")
            connection.execute(text(f"SELECT pg_advisory_lock({_KEYS})"), key)
        try:
            yield
        finally:
            connection.execute(text(f"SELECT pg_advisory_unlock({_KEYS})"), key)
