"""`flask --app app cases …`: bringing cases in from other systems (Open311 GeoReport v2, a
hotline's or grid system's CSV export) through the one import service, services/case_import.py."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

cases_cli = AppGroup("cases", help="Cases: import from Open311 and CSV exports of other systems.")
BULK = 10_000  # cases written by one run after which the store's statistics are brought up to date


def _report(report) -> None:
    """Print what the run did; after a bulk load, renew the statistics the Cases grid's plans
    rest on (store/planner_hints.py: a first import of a million cases into an empty store
    would otherwise be planned as if it held none)."""
    from services.context import get_services
    from store.planner_hints import analyse

    click.echo(report.summary)
    for rejection in report.rejections:
        click.echo(rejection.message)
    if report.imported + report.updated >= BULK:
        analyse(get_services().engine, ["cases"])


@cases_cli.command("import-csv")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The YAML mapping of the export's columns, values and dates (e.g. config/imports/hotline_12345.yaml).",
)
@click.option("--restart", is_flag=True, help="Import the file from the top, not after the last checkpoint.")
@click.option(
    "--chunk-lines",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows committed and checkpointed at a time.",
)
def import_csv_command(file: Path, mapping_file: Path, restart: bool, chunk_lines: int) -> None:
    """Import the cases of a CSV export (a 12345 hotline's, a city 311's) through a mapping.

    Prints `imported N, updated M, rejected K` and one line per rejected row with its line
    number and reasons. Commits and checkpoints every --chunk-lines rows: run again after an
    interruption, it continues after the last checkpoint. Exits 1 without importing anything
    when the file or the mapping cannot be read."""
    from data_sources.case_mapping import CsvCaseMapping, load_mapping
    from data_sources.errors import SourceError
    from services.csv_import import import_csv

    try:
        mapping = load_mapping(mapping_file, CsvCaseMapping)
        result = import_csv(file, mapping, restart=restart, chunk_rows=chunk_lines)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    if result.resumed_after is not None:
        click.echo(f"resumed after line {result.resumed_after} (--restart imports the file from the top)")
    elif result.not_resumed:
        click.echo(result.not_resumed)
    _report(result.report)


@cases_cli.command("sync")
@click.argument("source")
@click.option(
    "--restart", is_flag=True, help="Read the whole table again, not only what changed since the checkpoint."
)
def sync_command(source: str, restart: bool) -> None:
    """Import what changed in a foreign case table (a `sql_cases` source of config/sources.yaml)
    since its last sync, continuing from its checkpoint.

    Prints `imported N, updated M, rejected K` and one line per rejected row naming it by the
    table's key. Exits 1 when SOURCE is not such a source or its database cannot be read."""
    from data_sources.errors import SourceError
    from services.case_sync import sync_cases

    try:
        result = sync_cases(source, actor="cli", restart=restart)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    _report(result.report)


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
        times = "1 time had" if result.zoneless == 1 else f"{result.zoneless} times had"
        click.echo(f"note: {times} no time zone and {result.zone} time was assumed")
    _report(result.report)
