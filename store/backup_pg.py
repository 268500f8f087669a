"""Back up and restore the production store (PostgreSQL) with pg_dump and pg_restore.

Backup: pg_dump's custom format (compressed, restorable table by table with pg_restore) of the
store's schema only (the first schema of the URL's search_path: `public` unless the URL names
another), taken from a snapshot that this module exports, so the Alembic revision and the row
counts written into the manifest are those of the very rows dumped.

Restore: one psql session in one transaction (`--single-transaction`, ON_ERROR_STOP): drop the
store's schema, run pg_restore's SQL, and rename the schema when the backup was taken of a
schema of another name. Any error rolls the whole restore back and the store is as it was.
Owners and grants are not restored: the objects belong to the URL's role, which the app uses.

Binaries: pg_dump refuses a server newer than itself, so the Debian binaries of the server's
major version are used (/usr/lib/postgresql/<major>/bin), else the ones on PATH.

Errors: BackupError (store/backup_file.py) with the tool's own message."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from store.backup_file import BackupError

PAYLOAD = "store.pgdump"
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
# how long the restore waits for the running app's locks on the store's tables before it gives
# up and rolls back (a request holds them for milliseconds; a long report for seconds)
LOCK_TIMEOUT = "60s"


def tool(name: str, server_version_num: int) -> str:
    """The path of `name` (pg_dump, pg_restore, psql) for a server of that version number.
    Raises BackupError when there is none."""
    matching = DEBIAN_BINARIES / str(server_version_num // 10000) / "bin" / name
    if matching.is_file():
        return str(matching)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def libpq_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """The libpq connection URI for `engine` (its password left out) and the environment that
    passes the password (PGPASSWORD), so it never shows in a process list."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def server_version(connection: Connection) -> int:
    return int(connection.execute(text("SHOW server_version_num")).scalar_one())


@contextmanager
def dumped_store(engine: Engine, into: Path) -> Iterator[tuple[Path, str | None, dict[str, int], str]]:
    """Dump the store's schema into the folder `into`. Yields the payload's path, the Alembic
    revision, the rows per table and the schema's name; the payload is deleted on leaving.
    Blocks no writer (pg_dump reads a snapshot). Raises BackupError when pg_dump fails."""
    uri, env = libpq_target(engine)
    with tempfile.TemporaryDirectory(prefix=".onescreen-backup-", dir=into) as work:
        payload = Path(work) / PAYLOAD
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():  # the snapshot stays exported while this is open
                snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                schema = connection.execute(text("SELECT current_schema()")).scalar_one()
                revision, rows = _revision_and_rows(connection, schema)
                command = [
                    tool("pg_dump", server_version(connection)),
                    "--format=custom",
                    f"--schema={schema}",
                    f"--snapshot={snapshot}",
                    f"--file={payload}",
                    f"--dbname={uri}",
                ]
                _run(command, env, "pg_dump")
        yield payload, revision, rows, schema


def check_dump(engine: Engine, payload: Path) -> None:
    """Raise BackupError unless `payload` is an archive pg_restore can read."""
    with engine.connect() as connection:
        command = [tool("pg_restore", server_version(connection)), "--list", str(payload)]
    _run(command, dict(os.environ), "pg_restore --list", what="the backup's PostgreSQL dump cannot be read")


def restore_dump(engine: Engine, payload: Path, dumped_schema: str) -> None:
    """Replace the store's schema with the dump's, in one transaction. Waits up to LOCK_TIMEOUT
    for the running app's locks. Raises BackupError, the store untouched, when the dump cannot
    be restored or the dumped schema's name is taken by another schema of the database."""
    uri, env = libpq_target(engine)
    with engine.connect() as connection:
        version = server_version(connection)
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        if dumped_schema != schema and _schema_exists(connection, dumped_schema):
            raise BackupError(
                f"the backup holds schema {dumped_schema!r} and the store uses {schema!r}; restoring "
                f"would need the name {dumped_schema!r}, which another schema of this database has"
            )
    before = f"SET lock_timeout = '{LOCK_TIMEOUT}';\nDROP SCHEMA IF EXISTS {_quoted(schema)} CASCADE;\n"
    after = (
        f"ALTER SCHEMA {_quoted(dumped_schema)} RENAME TO {_quoted(schema)};\n"
        if dumped_schema != schema
        else ""
    )
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        psql = subprocess.Popen(
            [tool("psql", version), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
             "--file=-", f"--dbname={uri}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors, env=env,
        )  # fmt: skip
        assert psql.stdin is not None
        restore = subprocess.Popen(
            [tool("pg_restore", version), "--no-owner", "--no-acl", "--file=-", str(payload)],
            stdout=subprocess.PIPE, stderr=restore_errors,
        )  # fmt: skip
        assert restore.stdout is not None
        restored: int | None = None
        try:
            psql.stdin.write(before.encode())
            shutil.copyfileobj(restore.stdout, psql.stdin)
            restored = restore.wait()
            # psql must not commit a part: after a failed pg_restore an error rolls it all back
            psql.stdin.write(after.encode() if restored == 0 else b"SELECT 1/0; -- pg_restore failed\n")
        except BrokenPipeError:  # psql stopped at an error: its own message says which
            restore.kill()
            restore.wait()
        finally:
            restore.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
        applied = psql.wait()
        if restored not in (0, None):  # None: psql stopped first
            raise BackupError(f"pg_restore failed, the store is as it was: {_tail(restore_errors)}")
        if applied != 0:
            raise BackupError(f"the restore was rolled back, the store is as it was: {_tail(psql_errors)}")


def _revision_and_rows(connection: Connection, schema: str) -> tuple[str | None, dict[str, int]]:
    tables = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"),
        {"schema": schema},
    ).scalars()
    rows = {
        name: connection.execute(text(f"SELECT count(*) FROM {_quoted(schema)}.{_quoted(name)}")).scalar_one()
        for name in tables
    }
    if "alembic_version" not in rows:
        return None, rows
    rows.pop("alembic_version")
    revision = connection.execute(text(f"SELECT version_num FROM {_quoted(schema)}.alembic_version")).scalar()
    return revision, rows


def _schema_exists(connection: Connection, name: str) -> bool:
    found = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": name})
    return found.scalar() is not None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run(command: list[str], env: dict[str, str], name: str, *, what: str | None = None) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-3:] or [f"exit status {done.returncode}"]
        raise BackupError(f"{what or name + ' failed'}: {' '.join(message)}")


def _tail(stream) -> str:
    stream.seek(0)
    lines = stream.read().decode(errors="replace").strip().splitlines()
    return " ".join(lines[-3:]) or "no message"
