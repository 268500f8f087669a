"""`flask --app app store backup FILE` and `store restore FILE [--yes]` (services/store_backup.py)."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from services.context import get_services
from services.store_backup import backup_store, restore_store
from services.store_setup import seeded_at_start
from store.backup_file import BackupError


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def store_backup(file: Path) -> None:
    """Write a consistent copy of the store to FILE while the app keeps running.

    SQLite: the online backup API, checked and compressed; PostgreSQL: pg_dump of the store's
    schema. FILE is replaced only once the new backup is complete. Exits 1 with the reason when
    the backup fails."""
    services = get_services()
    try:
        manifest = backup_store(services.engine, file, actor=_actor())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest.rows.values())
    click.echo(
        f"backed up {_where(services.settings.store_url)} to {file}: {manifest.engine}, schema "
        f"{manifest.revision}, {rows:,} rows in {len(manifest.rows)} tables, {manifest.payload_bytes:,} bytes"
    )


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--yes", is_flag=True, help="Replace a store that holds data (without it such a store is refused)."
)
def store_restore(file: Path, yes: bool) -> None:
    """Replace the store's contents with the backup in FILE, in one transaction.

    Refused, the store untouched, when FILE is missing, truncated or no OneScreen backup, when
    it is a backup of the other engine or of a newer schema than this code knows, and when the
    store holds data and --yes is not given. A backup of an older schema is migrated after the
    restore. Running processes see the restored data from their next transaction."""
    services = get_services()
    engine = services.engine
    try:
        manifest = restore_store(
            engine, file, actor=_actor(), replace=yes, seeded_just_now=seeded_at_start(engine)
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"restored {_where(services.settings.store_url)} from {file}: taken {manifest.created_at}, schema "
        f"{manifest.revision}, {sum(manifest.rows.values()):,} rows"
    )


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
