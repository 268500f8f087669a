"""`flask --app app cases …`: bringing cases in from other systems (Open311 GeoReport v2, a
hotline's or grid system's CSV export) through the one import service, services/case_import.py."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

cases_cli = AppGroup("cases", help="Cases: import from Open311 and CSV exports of other systems.")


@cases_cli.command("import-open311")
@click.argument("origin", metavar="FILE_OR_URL")
@click.option(
    "--mapping",
    "mapping_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The YAML mapping of service codes to case types (e.g. config/imports/open311.yaml).",
)
def import_open311_command(origin: str, mapping_file: Path) -> None:
    """Import the service requests of an Open311 GeoReport v2 document (JSON or XML), a file
    or an http(s) URL.

    Prints `imported N, updated M, rejected K` and one line per rejected request with its
    position and reason; importing the same requests again updates them. Times sent without a
    time zone are read in the mapping's timezone (default the park's) and the output says so.
    Exits 1 only when nothing could be read (no such file, an unreachable server, not GeoReport,
    a bad mapping)."""
    from data_sources.errors import SourceError
    from services.open311_import import import_open311, load_open311_mapping

    try:
        result = import_open311(origin, load_open311_mapping(mapping_file), actor="cli")
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    if result.zoneless:
        click.echo(f"note: {result.zoneless} times had no time zone and were read as {result.zone} time")
    click.echo(result.report.summary)
    for rejection in result.report.rejections:
        click.echo(rejection.message)
