"""Case records in the JSON API: a page of them, one, and a CSV download (every matching row,
streamed from the store). Reads go through services.records with the scope resolved here, so a
department head reads their department's cases only, and naming another department is refused
(403) and audited."""

from __future__ import annotations

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
from services import records
from services.context import get_services
from services.export import csv_chunks, export_detail

FIELD_KINDS = {
    "text": ma.fields.String,
    "int": ma.fields.Integer,
    "float": ma.fields.Float,
    "datetime": ma.fields.DateTime,
}
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
    scope = scope_for(current_principal(), args.pop("department", None), what=request.path)
    days = args.pop("days", None)
    if days is not None:
        args["since"] = datetime.now(UTC) - timedelta(days=days)
    export = records.export_cases(scope, **args)
    try:
        filters = {"department": scope.department, **({"days": days} if days else {}), **args}
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
    chunks = csv_chunks(CASES.columns, export, get_services().settings.zone)
    response = Response(ClosingIterator(chunks, [export.close]), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["X-Export-Rows"] = str(export.rows)
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
