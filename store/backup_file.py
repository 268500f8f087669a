"""The store's backup file: a plain tar archive holding a manifest and one payload.

    backup.tar
      onescreen-backup.json   what the backup is: engine, schema revision, time, rows per table,
                              the payload's name, size and SHA-256
      store.sqlite.gz         the embedded store (SQLite), a consistent copy, gzip-compressed
      store.pgdump            or the production store (PostgreSQL), pg_dump's custom format

A tar, so that an operator can look inside with `tar tf` and take the payload out by hand
(`sqlite3`, `pg_restore`) without OneScreen. The payload is checked against the manifest's size
and SHA-256 before anything is restored: a truncated or altered file is refused with that reason
and the store is not touched. Any file that is not such an archive is refused as "not a
OneScreen backup".

Errors: BackupError (a message for the operator; the store was left as it was)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_NAME = "onescreen-backup.json"
FORMAT = "onescreen-backup"
FORMAT_VERSION = 1
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why, and the store is as it was."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds. `rows` counts each table's rows when the copy was taken."""

    engine: str  # "sqlite" or "postgresql"
    revision: str | None  # the Alembic revision of the copied schema
    created_at: str  # ISO 8601, UTC
    payload: str  # the payload's name inside the archive
    payload_bytes: int
    payload_sha256: str
    rows: dict[str, int] = field(default_factory=dict)
    schema: str | None = None  # PostgreSQL: the schema that was dumped
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_backup(target: Path, manifest: Manifest, payload: Path) -> None:
    """Write the archive to `target`, atomically: it is written beside `target` under a
    temporary name and renamed at the end, so an interrupted backup never leaves a partial file
    under the name asked for. Raises OSError when the folder cannot be written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    try:
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
            encoded = json.dumps(asdict(manifest), indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(encoded)
            info.mtime = int(os.path.getmtime(payload))
            archive.addfile(info, io.BytesIO(encoded))
            archive.add(payload, arcname=manifest.payload, recursive=False)
        with open(partial, "rb") as written:  # noqa: PTH123 - fsync needs the descriptor
            os.fsync(written.fileno())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def read_manifest(source: Path) -> Manifest:
    """The manifest of the backup at `source`. Raises BackupError for a missing file, a file
    that is not a OneScreen backup, or a manifest this code cannot read."""
    with _open(source) as archive:
        return _manifest(archive, source)


@contextmanager
def extracted_payload(source: Path, into: Path) -> Iterator[tuple[Manifest, Path]]:
    """Check the backup at `source` and unpack its payload into the folder `into` (on the
    store's file system: payloads are as large as the store). Yields the manifest and the
    payload's path; the payload is deleted on leaving. Raises BackupError when the payload is
    missing, truncated or does not match the manifest's SHA-256."""
    with _open(source) as archive:
        manifest = _manifest(archive, source)
        try:
            member = archive.getmember(manifest.payload)
        except KeyError:
            raise BackupError(f"{source} is damaged: its payload {manifest.payload} is missing") from None
        handle, name = tempfile.mkstemp(prefix=".onescreen-restore-", dir=into)
        payload = Path(name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(handle, "wb") as out:
                try:
                    stream = archive.extractfile(member)
                    assert stream is not None
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                except (tarfile.TarError, OSError, EOFError) as exc:
                    raise BackupError(f"{source} is truncated or damaged ({exc})") from None
            if size != manifest.payload_bytes or digest.hexdigest() != manifest.payload_sha256:
                raise BackupError(
                    f"{source} is truncated or damaged: its payload has {size:,} bytes and does not "
                    f"match the checksum its manifest recorded ({manifest.payload_bytes:,} bytes)"
                )
            yield manifest, payload
        finally:
            payload.unlink(missing_ok=True)


@contextmanager
def _open(source: Path) -> Iterator[tarfile.TarFile]:
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    try:
        archive = tarfile.open(source, "r:")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} is not a OneScreen backup (not a backup archive: {exc})") from None
    with archive:
        yield archive


def _manifest(archive: tarfile.TarFile, source: Path) -> Manifest:
    try:
        stream = archive.extractfile(MANIFEST_NAME)
        raw = json.loads(stream.read()) if stream is not None else None
    except KeyError:
        raise BackupError(f"{source} is not a OneScreen backup (no {MANIFEST_NAME} inside)") from None
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError(f"{source} is truncated or damaged ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{source} is not a OneScreen backup (its manifest names no {FORMAT!r} format)")
    if raw.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{source} is a OneScreen backup of format {raw.get('format_version')!r}; this code reads "
            f"format {FORMAT_VERSION}"
        )
    try:
        return Manifest(**raw)
    except TypeError as exc:
        raise BackupError(f"{source} has a manifest this code cannot read ({exc})") from None
