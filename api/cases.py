"""Case records in the JSON API: a page of them, one, and a CSV or XLSX download (every matching
row, read from the store in chunks). Reads go through services.records with the scope resolved
here, so a department head reads their department's cases only, and naming another department is
refused (403) and audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import Response, abort, request
from marshmallow import validate
from webargs.fields import DelimitedList
from werkzeug.wsgi import ClosingIterator

from api.base import Instant, Query, scope_for, scoped_case, today_in_park
from api.v1 import blp, refusals
from data_sources.contracts import CASE_STATUSES, CASES
from security.guard import requires
from security.roles import Permission
from security.web_context import audit_request, current_principal
from services import export_xlsx, records
from services.context import get_services
from services.export import csv_chunks, export_detail

FIELD_KINDS = {
    "text": ma.fields.String,
    "int": ma.fields.Integer,
    "float": ma.fields.Float,
    "datetime": ma.fields.DateTime,
}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The record's fields are the contract's (data_sources/contracts.py), so the two cannot drift apart.
CaseSchema = ma.Schema.from_dict(
    {f.name: FIELD_KINDS[f.kind](required=f.required, allow_none=not f.required) for f in CASES.fields},
    name="Case",
)


class CaseFilters(Query):
    department = ma.fields.String(
        metadata={
            "description": "a department id; default: all the caller may read (a department head: their own)"
        }
    )
    status = ma.fields.String(validate=validate.OneOf(CASE_STATUSES))
    domain = ma.fields.String(validate=validate.Length(max=32))
    since = Instant(metadata={"description": "reported at or after (ISO 8601; no offset: the park's time)"})
    until = Instant(metadata={"description": "reported before (ISO 8601; no offset: the park's time)"})

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ma.ValidationError("since must be before until", "until")


class CaseQuery(CaseFilters):
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    offset = ma.fields.Integer(load_default=0, validate=validate.Range(min=0))


class CasePageSchema(ma.Schema):
    department = ma.fields.String(allow_none=True, metadata={"description": "null: the whole park"})
    total = ma.fields.Integer(required=True, metadata={"description": "cases matching, on every page"})
    limit = ma.fields.Integer(required=True)
    offset = ma.fields.Integer(required=True)
    fetched_at = ma.fields.DateTime(allow_none=True, metadata={"description": "when the cases were read"})
    stale = ma.fields.Boolean(
        metadata={"description": "true: their source is down, this is its last good data"}
    )
    items = ma.fields.List(ma.fields.Nested(CaseSchema), required=True)


@blp.route("/cases")
@requires(Permission.READ_RECORDS)
@blp.arguments(CaseQuery, location="query", unknown=ma.RAISE)
@blp.response(200, CasePageSchema)
@refusals(400, 422)
def list_cases(args):
    """Cases

    A page of cases, newest report first, with how many match. Needs read_records; a
    department head reads their own department's only (naming another one: 403)."""
    scope = scope_for(current_principal(), args.pop("department", None), what=request.path)
    limit, offset = args.pop("limit"), args.pop("offset")
    page, total = records.cases(scope, limit=limit, offset=offset, **args)
    fetched_at, stale = records.freshness()
    return {
        "department": scope.department,
        "total": total,
        "limit": limit,
        "offset": offset,
        "fetched_at": fetched_at,
        "stale": stale,
        "items": records.records_of(page),
    }


class ExportFilters(CaseFilters):
    # the Cases page's filters, so its download holds exactly the rows it lists
    status = DelimitedList(
        ma.fields.String(validate=validate.OneOf(CASE_STATUSES)),
        metadata={"description": "one status or several, comma-separated"},
    )
    domain = DelimitedList(
        ma.fields.String(validate=validate.Length(1, 32)), metadata={"description": "comma-separated"}
    )
    departments = DelimitedList(
        ma.fields.String(validate=validate.Length(1, 32)),
        metadata={"description": "several departments, comma-separated (within what the caller may read)"},
    )
    channel = DelimitedList(
        ma.fields.String(validate=validate.Length(1, 32)), metadata={"description": "comma-separated"}
    )
    case_type = DelimitedList(
        ma.fields.String(validate=validate.Length(1, 64)), metadata={"description": "comma-separated"}
    )
    grid_cell = DelimitedList(
        ma.fields.String(validate=validate.Length(1, 32)), metadata={"description": "comma-separated"}
    )
    overdue = ma.fields.Boolean(metadata={"description": "true: open cases past their deadline only"})
    days = ma.fields.Integer(
        validate=validate.Range(1, 3660),
        metadata={"description": "reported in the last N days up to now (the Overview's charts: 30)"},
    )

    @ma.validates_schema
    def _one_start(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("days") is not None and data.get("since") is not None:
            raise ma.ValidationError("give since or days, not both", "days")


@blp.route("/cases/export.csv")
@requires(Permission.EXPORT)
@blp.arguments(ExportFilters, location="query", unknown=ma.RAISE)
@blp.response(
    200,
    content_type="text/csv",
    description="UTF-8 CSV with a byte order mark: every matching case, newest report first, "
    "streamed from the store (X-Export-Rows says how many)",
)
@refusals(400, 422)
def export_cases(args):
    """Download cases as CSV

    Every matching case as a spreadsheet (columns as in Case; times in the park's zone), with
    no cap: the rows are read from the store in chunks and sent as they are read. Needs
    export; scoped like /cases; every download is audited before it is sent."""
    export, name = _audited_export(args)
    chunks = csv_chunks(CASES.columns, export, get_services().settings.zone)
    response = Response(ClosingIterator(chunks, [export.close]), mimetype="text/csv")
    return _download(response, f"{name}.csv", export.rows)


@blp.route("/cases/export.xlsx")
@requires(Permission.EXPORT)
@blp.arguments(ExportFilters, location="query", unknown=ma.RAISE)
@blp.response(
    200,
    content_type=XLSX_MIMETYPE,
    description="An Excel workbook of one sheet: every matching case, newest report first "
    "(X-Export-Rows says how many); at most 1,048,575 cases, Excel's limit (more: 422)",
)
@refusals(400, 422)
def export_cases_xlsx(args):
    """Download cases as XLSX

    The CSV download's rows and cells as an Excel workbook: text always as text (never a
    formula), times as Excel date-times in the park's zone whose format shows the offset. The
    rows are read from the store in chunks into a temporary file on the server (memory stays one
    chunk), which is then sent and deleted. More cases than a sheet holds are refused before
    anything is written, with a message saying how many match. Needs export; scoped like /cases;
    audited like the CSV."""
    export, name = _audited_export(
        args, fits=export_xlsx.fits, limit=export_xlsx.MAX_ROWS, chunk_rows=export_xlsx.CHUNK_ROWS
    )
    try:
        workbook = export_xlsx.xlsx_file(CASES.columns, export, get_services().settings.zone, sheet="cases")
    finally:
        export.close()
    size = workbook.seek(0, 2)
    workbook.seek(0)
    response = Response(export_xlsx.FileChunks(workbook), mimetype=XLSX_MIMETYPE, direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    return _download(response, f"{name}.xlsx", export.rows)


def _audited_export(
    args: dict[str, Any],
    *,
    fits: Callable[[int], bool] | None = None,
    limit: int = 0,
    chunk_rows: int | None = None,
) -> tuple[records.CaseExport, str]:
    """The export `args` ask for, within the caller's scope, audited (refused when `fits` says
    its rows do not: 422 naming the count and the limit, audited as failed), and its file name
    without suffix. The caller closes the export."""
    scope = scope_for(current_principal(), args.pop("department", None), what=request.path)
    days = args.pop("days", None)
    if days is not None:
        args["since"] = datetime.now(UTC) - timedelta(days=days)
    export = records.export_cases(scope, chunk_rows=chunk_rows, **args)
    try:
        filters = {"department": scope.department, **({"days": days} if days else {}), **args}
        if fits is not None and not fits(export.rows):
            refused = export_detail(0, export.rows, filters)
            audit_request("export", outcome="failed", target="cases", detail=refused)
            abort(
                422,
                f"{export.rows} cases match and one XLSX sheet holds at most {limit}: "
                "narrow the filter, or download CSV, which has no limit",
            )
        audit_request("export", target="cases", detail=export_detail(export.rows, export.rows, filters))
    except BaseException:
        export.close()
        raise
    name = "-".join(
        [
            "cases",
            *([scope.department] if scope.department else []),
            *([f"{days}d"] if days else []),
            today_in_park(),
        ]
    )
    return export, name


def _download(response: Response, filename: str, rows: int) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Export-Rows"] = str(rows)
    return response


@blp.route("/cases/<case_id>")
@requires(Permission.READ_RECORDS)
@blp.response(200, CaseSchema)
@refusals(404)
def get_case(case_id: str):
    """One case

    Needs read_records. A case outside what the caller may read answers 404, like one that
    does not exist (and the attempt is audited)."""
    found = scoped_case(case_id, what=request.path)
    if found is None:
        abort(404, f"no case {case_id[:64]!r}")
    return found
