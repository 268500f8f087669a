"""Back up the store into one file and restore it from one (`flask --app app store backup|restore`).

A backup is a consistent copy taken while the app keeps running (store/backup_sqlite.py for the
embedded store, store/backup_pg.py for PostgreSQL) in a file described by store/backup_file.py,
which records the schema's Alembic revision.

A restore checks everything it can before it touches the store: the file is a OneScreen backup,
complete, of this store's engine, of a schema revision this code knows, and the store holds
nothing that would be lost (or `replace` was given). Then it writes the backup over the store in
one transaction, migrates a backup of an older revision up to this code's, and raises every data
version past both the old and the restored ones, so no cached figure of either survives.

Each backup and restore, refused ones too, leaves a `store.backup` or `store.restore` audit row
when the audit log can be written (a restore's success goes into the restored log).

Errors: BackupError (store/backup_file.py) with a message for the operator; the store is as it
was unless the message says otherwise."""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from security import audit
from services.store_setup import store_contents
from store import backup_pg, backup_sqlite
from store.backup_file import BackupError, Manifest, extracted_payload, read_manifest, sha256_of, write_backup
from store.data_versions import versions
from store.migrate import alembic_config, head_revision, upgrade
from store.models import DataVersion, User

log = logging.getLogger(__name__)

ENGINES = {"sqlite": "SQLite (the embedded profile)", "postgresql": "PostgreSQL (the production profile)"}


def backup_store(engine: Engine, target: Path, *, actor: str) -> Manifest:
    """Write a backup of the store to `target` (replacing a file of that name only once the new
    one is complete). Blocks no writer. Returns the backup's manifest; raises BackupError."""
    try:
        manifest = _write(engine, target)
    except (BackupError, OSError) as exc:
        _audit(engine, "store.backup", actor, target, {"error": str(exc)[:500]}, outcome="failed")
        if isinstance(exc, OSError):
            raise BackupError(f"cannot write {target}: {exc}") from None
        raise
    _audit(engine, "store.backup", actor, target, _summary(manifest))
    log.info(
        "store backed up to %s (%s bytes, revision %s)", target, manifest.payload_bytes, manifest.revision
    )
    return manifest


def restore_store(
    engine: Engine, source: Path, *, actor: str, replace: bool, seeded_just_now: bool = False
) -> Manifest:
    """Restore the backup at `source` over the store. Without `replace` a store holding data is
    refused (one filled with the demo park at this very start, `seeded_just_now`, holds nothing
    to lose). Waits for the writers of the moment; the running processes see the restored data
    from their next transaction. Returns the backup's manifest; raises BackupError."""
    try:
        manifest = _checked(engine, source, replace=replace, seeded_just_now=seeded_just_now)
        before = versions(engine)
        _restore(engine, source)
    except BackupError as exc:
        _audit(engine, "store.restore", actor, source, {"error": str(exc)[:500]}, outcome="failed")
        raise
    if manifest.revision != head_revision():
        log.info("the backup is of revision %s: migrating it to %s", manifest.revision, head_revision())
        upgrade(engine)
    _raise_versions(engine, before)
    _audit(engine, "store.restore", actor, source, _summary(manifest))
    log.info("store restored from %s (revision %s)", source, manifest.revision)
    return manifest


def _write(engine: Engine, target: Path) -> Manifest:
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    name = engine.dialect.name
    if name == "sqlite":
        live = backup_sqlite.store_file(engine).resolve()
        if target.resolve() in {live, *(live.with_name(live.name + end) for end in ("-wal", "-shm"))}:
            raise BackupError(f"{target} is the store itself (or its journal): name another file")
        with backup_sqlite.copied_store(engine, folder) as (payload, revision, rows):
            manifest = _manifest(name, revision, payload, backup_sqlite.PAYLOAD, rows)
            write_backup(target, manifest, payload)
    elif name == "postgresql":
        with backup_pg.dumped_store(engine, folder) as (payload, revision, rows, schema):
            manifest = _manifest(name, revision, payload, backup_pg.PAYLOAD, rows, schema)
            write_backup(target, manifest, payload)
    else:
        raise BackupError(f"backups cover SQLite and PostgreSQL stores; this store is {name}")
    return manifest


def _manifest(
    engine: str,
    revision: str | None,
    payload: Path,
    name: str,
    rows: dict[str, int],
    schema: str | None = None,
) -> Manifest:
    return Manifest(
        engine=engine,
        revision=revision,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        payload=name,
        payload_bytes=payload.stat().st_size,
        payload_sha256=sha256_of(payload),
        rows=rows,
        schema=schema,
    )


def _checked(engine: Engine, source: Path, *, replace: bool, seeded_just_now: bool) -> Manifest:
    manifest = read_manifest(source)
    name = engine.dialect.name
    if manifest.engine != name:
        raise BackupError(
            f"{source} is a backup of a {ENGINES.get(manifest.engine, manifest.engine)} store; this store is "
            f"{ENGINES.get(name, name)}. Restore it into a store of the same kind"
        )
    known = {script.revision for script in _scripts().walk_revisions()}
    if manifest.revision is None:
        raise BackupError(f"{source} holds a store without a schema revision: it was never migrated")
    if manifest.revision not in known:
        raise BackupError(
            f"{source} is of schema revision {manifest.revision}, which this code does not know (newest "
            f"known: {head_revision()}): it was made by a newer OneScreen. Restore it with that version"
        )
    held = None if seeded_just_now else _what_it_holds(engine)
    if held and not replace:
        raise BackupError(
            f"the store holds {held}; nothing restored. Add --yes to replace it with the backup"
        )
    return manifest


def _restore(engine: Engine, source: Path) -> None:
    if engine.dialect.name == "sqlite":
        folder = backup_sqlite.store_file(engine).parent  # room for the copy beside the store
        with (
            extracted_payload(source, folder) as (manifest, payload),
            backup_sqlite.unpacked_copy(payload, folder) as (copy, revision),
        ):
            if revision != manifest.revision:
                raise BackupError(
                    f"{source} is damaged: its manifest says revision {manifest.revision}, its copy holds {revision}"
                )
            backup_sqlite.restore_into(engine, copy)
        return
    with extracted_payload(source, Path(tempfile.gettempdir())) as (manifest, payload):
        backup_pg.check_dump(engine, payload)
        backup_pg.restore_dump(engine, payload, manifest.schema or "public")


def _what_it_holds(engine: Engine) -> str | None:
    contents = store_contents(engine)
    with engine.connect() as connection:
        people = connection.execute(select(func.count()).select_from(User).where(~User.is_demo)).scalar_one()
    if contents.empty and not people:
        return None
    return contents.describe() + (f" and {people:,} users" if people else "")


def _raise_versions(engine: Engine, before: dict[str, int]) -> None:
    """Every data version past the highest it had before or after the restore: a figure cached
    under either (in a worker, or in Redis) is never taken for the restored data's."""
    restored = versions(engine)
    with engine.begin() as connection:
        for contract in restored:
            newest = max(before.get(contract, 0), restored[contract]) + 1
            connection.execute(
                update(DataVersion).where(DataVersion.contract == contract).values(version=newest)
            )


def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None))


def _summary(manifest: Manifest) -> dict:
    return {
        "engine": manifest.engine,
        "revision": manifest.revision,
        "created_at": manifest.created_at,
        "bytes": manifest.payload_bytes,
        "rows": sum(manifest.rows.values()),
    }


def _audit(engine: Engine, action: str, actor: str, path: Path, detail: dict, *, outcome: str = "ok") -> None:
    try:
        audit.record(engine, action, actor=actor, outcome=outcome, target=str(path), detail=detail)
    except SQLAlchemyError as exc:  # the store itself is what failed: the log line must do
        log.warning("%s %s for %s not written to the audit log (%s)", action, outcome, path, exc)
