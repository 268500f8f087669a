"""Back up and restore the embedded store (one SQLite file) while the app keeps running.

Backup: SQLite's online backup API copies the store in ONE step, which reads one snapshot of
the file (WAL: the writers carry on meanwhile). A copy in several steps would start over each
time another connection writes, and the feed worker writes every few seconds, so it might never
finish. The copy is checked (PRAGMA integrity_check) and gzip-compressed.

Restore: the backup API again, the other way, from the checked copy INTO the live file. The
file is not replaced: running processes keep their connections, and their next transaction
sees the restored data (the copy is one write transaction: before it they see the old rows,
after it the new). Replacing the file instead would pair the new file with the old one's -wal
and -shm, which other processes still have open, and SQLite would replay the old file's pages
onto the new one.

Errors: BackupError (store/backup_file.py) with a message for the operator."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine

from store.backup_file import BackupError
from store.engine import BUSY_TIMEOUT_S

PAYLOAD = "store.sqlite.gz"
# Measured on the demo park's 99 MB store (300 cases, two cores at load average 8): level 1 gives
# 12.5 MB in 2.4 s, level 6 11.1 MB in 6.2 s. Level 1: the CPU is shared with the serving app.
GZIP_LEVEL = 1
_CHUNK = 1 << 20


def store_file(engine: Engine) -> Path:
    """The SQLite file behind `engine`. Raises BackupError for a store in memory."""
    database = engine.url.database or ""
    if database.startswith("file:"):
        database = database[len("file:") :]
    if not database or database == ":memory:":
        raise BackupError("the store is an SQLite database in memory: there is no file to back up")
    return Path(database)


def _live_connection(path: Path) -> sqlite3.Connection:
    # mode=rw: never create a missing store; the busy timeout as the app's own connections
    return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)


@contextmanager
def copied_store(engine: Engine, into: Path) -> Iterator[tuple[Path, str | None, dict[str, int]]]:
    """A consistent, checked, compressed copy of the live store, written in the folder `into`.
    Yields the payload's path, the copy's Alembic revision and its rows per table; the payload
    is deleted on leaving. Blocks no writer (WAL); raises BackupError when the copy fails its
    integrity check."""
    live = store_file(engine)
    with tempfile.TemporaryDirectory(prefix=".onescreen-backup-", dir=into) as work:
        copy = Path(work) / "store.sqlite"
        with closing(_live_connection(live)) as source, closing(sqlite3.connect(copy)) as target:
            source.backup(target)  # pages=-1: one step, one snapshot
        with closing(sqlite3.connect(copy)) as target:
            target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            _check_integrity(target, f"the copy of {live}")
            revision, rows = _revision_and_rows(target)
        payload = Path(work) / PAYLOAD
        with copy.open("rb") as plain, gzip.open(payload, "wb", compresslevel=GZIP_LEVEL) as packed:
            shutil.copyfileobj(plain, packed, _CHUNK)
        copy.unlink()
        yield payload, revision, rows


@contextmanager
def unpacked_copy(payload: Path, into: Path) -> Iterator[tuple[Path, str | None]]:
    """Unpack a backup's payload into the folder `into` and check it. Yields the copy's path and
    its Alembic revision; the copy is deleted on leaving. Raises BackupError when the payload is
    not a gzip-compressed SQLite database or fails its integrity check."""
    with tempfile.TemporaryDirectory(prefix=".onescreen-restore-", dir=into) as work:
        copy = Path(work) / "store.sqlite"
        try:
            with gzip.open(payload, "rb") as packed, copy.open("wb") as plain:
                shutil.copyfileobj(packed, plain, _CHUNK)
        except (OSError, EOFError, zlib.error) as exc:
            raise BackupError(f"the backup's SQLite copy cannot be unpacked ({exc})") from None
        try:
            with closing(sqlite3.connect(copy)) as restored:
                _check_integrity(restored, "the backup's SQLite copy")
                revision, _rows = _revision_and_rows(restored)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the backup's SQLite copy is not a usable database ({exc})") from None
        yield copy, revision


def restore_into(engine: Engine, copy: Path) -> None:
    """Write the checked `copy` over the live store's contents, in one transaction. Waits for
    the writers of the moment (busy timeout); readers are not blocked (WAL). Raises BackupError
    when SQLite refuses (the two files' page sizes differ while the store is in WAL mode)."""
    live = store_file(engine)
    if not live.is_file():
        raise BackupError(f"no store at {live} to restore into")
    try:
        with closing(sqlite3.connect(copy)) as source, closing(_live_connection(live)) as target:
            source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(
            f"SQLite refused to write the backup into {live}: {exc}; the store is as it was"
        ) from None


def _check_integrity(connection: sqlite3.Connection, what: str) -> None:
    found = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    if found != ["ok"]:
        raise BackupError(f"{what} failed SQLite's integrity check: {'; '.join(found[:5])}")


def _revision_and_rows(connection: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    if "alembic_version" not in tables:
        return None, {}
    revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    rows = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
    rows.pop("alembic_version")
    return (revision[0] if revision else None), rows
