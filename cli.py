"""The command line: Flask's own CLI on the app's server (`flask --app app COMMAND`)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from config.settings import Settings
from services.context import get_services
from services.store_setup import DEMO_PARK, seed_demo_park, seeded_at_start, store_contents
from store.migrate import current_revision
from store.models import CONTRACT_TABLES

store_cli = AppGroup("store", help="The store: schema, demo park, counts.")


@store_cli.command("init")
@click.option(
    "--fresh",
    is_flag=True,
    help="Generate the demo park anew, deleting what the store holds. Embedded profile only, and "
    "only a store that is empty or holds the demo park.",
)
@click.option("--yes", is_flag=True, help="With --fresh: do replace an existing demo park.")
@click.option(
    "--demo",
    is_flag=True,
    help="Fill the store with the demo park if it is empty, in any profile (a trial of the "
    "production set-up: `make prod`). A store holding anything is left as it is.",
)
def store_init(fresh: bool, yes: bool, demo: bool) -> None:
    """Migrate the store and fill it with the demo park when empty (embedded profile).

    Building the app has done both already; this reports the store's schema and counts, and
    with --fresh replaces the demo park. Exits 1 without touching the store when --fresh is
    refused, or is given without --yes for a store that holds the demo park (it then prints
    what would be deleted)."""
    if fresh and demo:
        raise click.UsageError("--fresh and --demo exclude each other: --demo never deletes")
    services = get_services()
    engine, settings = services.engine, services.settings
    where = make_url(settings.store_url).render_as_string(hide_password=True)
    if fresh:
        if settings.profile != "embedded":
            raise click.ClickException(
                f"refused: --fresh replaces the store with the demo park, and the profile is "
                f"{settings.profile!r}, not 'embedded' ({where})"
            )
        if seeded_at_start(engine):
            click.echo("demo park: generated just now, as the store was empty")
        else:
            contents = store_contents(engine)
            if not contents.empty and contents.park != DEMO_PARK:
                raise click.ClickException(
                    f"refused: {where} holds {contents.describe()}; --fresh replaces only the demo park"
                )
            if not contents.empty and not yes:
                click.echo(f"--fresh would delete {contents.describe()} in {where}", err=True)
                raise click.ClickException("nothing deleted; add --yes to replace the demo park")
            seed_demo_park(engine, settings)
    if demo:
        _demo_if_empty(engine, settings)
    click.echo(f"store: {where} (schema {current_revision(engine)})")
    counts = store_contents(engine).rows
    for name in CONTRACT_TABLES:
        click.echo(f"  {name:<20} {counts[name]:>10,}")


def _demo_if_empty(engine: Engine, settings: Settings) -> None:
    """--demo: the demo park into an empty store (production builds none at start); its data
    only: the production profile still refuses demo users, so nobody signs in without a password."""
    contents = store_contents(engine, count=False)
    if contents.empty:
        seed_demo_park(engine, settings)
        click.echo("demo park: generated, as the store was empty")
    elif contents.park == DEMO_PARK:
        click.echo("demo park: already in the store")
    else:
        click.echo(f"demo park: not added, the store holds {contents.describe()}")


def register_commands(server: Flask) -> None:
    from cli_access import tokens_cli, users_cli
    from cli_cases import cases_cli
    from cli_embeds import embeds_cli
    from cli_enterprises import enterprises_cli
    from cli_feeds import demo_cli, worker_command
    from cli_store_backup import store_backup, store_restore

    store_cli.add_command(store_backup)
    store_cli.add_command(store_restore)
    server.cli.add_command(store_cli)
    server.cli.add_command(users_cli)
    server.cli.add_command(tokens_cli)
    server.cli.add_command(cases_cli)
    server.cli.add_command(enterprises_cli)
    server.cli.add_command(embeds_cli)
    server.cli.add_command(worker_command)
    server.cli.add_command(demo_cli)
