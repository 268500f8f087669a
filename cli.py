"""The command line: Flask's own CLI on the app's server (`flask --app app COMMAND`)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from services.context import get_services
from services.store_setup import seed_demo_park
from store.migrate import current_revision
from store.models import CONTRACT_TABLES

store_cli = AppGroup("store", help="The store: schema, demo park, counts.")


@store_cli.command("init")
@click.option("--fresh", is_flag=True, help="Regenerate the demo park even if the store has one.")
def store_init(fresh: bool) -> None:
    """Migrate the store and fill it with the demo park when empty (embedded profile)."""
    services = get_services()
    if fresh:
        seed_demo_park(services.engine, services.settings)
    click.echo(f"store: {services.settings.store_url} (schema {current_revision(services.engine)})")
    with services.engine.connect() as connection:
        for name, table in CONTRACT_TABLES.items():
            count = connection.execute(select(func.count()).select_from(table)).scalar_one()
            click.echo(f"  {name:<20} {count:>10,}")


def register_commands(server: Flask) -> None:
    server.cli.add_command(store_cli)
