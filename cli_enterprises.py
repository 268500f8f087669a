"""`flask --app app enterprises …`: bringing enterprises, their yearly figures and the chains'
links in from other systems (a government data-sharing platform, services/sharing_sync.py)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

enterprises_cli = AppGroup(
    "enterprises", help="Enterprises, their figures and chain links: sync from a data-sharing platform."
)


@enterprises_cli.command("sync")
@click.argument("source")
@click.option(
    "--restart",
    is_flag=True,
    help="Read everything again from the first page, not only what changed since the checkpoint.",
)
def sync_command(source: str, restart: bool) -> None:
    """Store what changed at a data-sharing platform (a `sharing_platform` source of
    config/sources.yaml) since its last sync: chain links, enterprises, then their figures.

    Prints `imported N, updated M, rejected K` for each contract and one line per rejected row
    with its number, key, field and reason. Exits 1 when SOURCE is not such a source or the
    platform could not be read to the end (what was stored stays; the next sync resumes after
    the last complete page)."""
    from data_sources.errors import SourceError
    from services.sharing_sync import sync_platform

    try:
        result = sync_platform(source, actor="cli", restart=restart)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    for contract, part in result.contracts.items():
        click.echo(f"{contract}: {part.summary}")
        for rejection in part.rejections:
            click.echo(rejection.message)
