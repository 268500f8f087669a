"""Open311 GeoReport v2 read endpoints (https://wiki.open311.org/GeoReport_v2): the case types
as services, and cases as service requests, for city portals and 311 clients. JSON only.

The service list is reference data (view_screens); requests need read_records and are scoped
like the JSON API (a department head's token reads their department's). The field mapping is
the importer's (data_sources/adapters/open311.py) the other way round: status closed stays
closed and every other stage of ours is "open"; expected_datetime is the case's deadline;
updated_datetime its latest stage. Errors answer GeoReport's error list, [{"code",
"description"}]. Times are in the park's zone, with offset."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import marshmallow as ma
import pandas as pd
from flask import abort, jsonify, request
from flask_smorest import Blueprint
from marshmallow import validate
from webargs.fields import DelimitedList
from werkzeug.exceptions import HTTPException

from api.base import Instant, Query, audit_outside, documented_errors, error_body, park_time, scoped_case
from data_sources.adapters.open311 import STATUSES
from data_sources.contracts import CASE_STATUSES
from demo.catalogue import load_case_types, load_departments
from locales import best_language
from security.guard import requires
from security.roles import Permission
from security.scope import resolve_scope
from security.web_context import current_principal
from services import records

blp = Blueprint(
    "open311",
    __name__,
    url_prefix="/open311/v2",
    description="Open311 GeoReport v2, read only: service types and service requests (JSON).",
)
# Ours → GeoReport: the importer's table read backwards (it maps GeoReport's closed to ours).
CLOSED = frozenset(ours for theirs, ours in STATUSES.items() if theirs == "closed")
MAX_REQUESTS = 1000  # GeoReport: "may return at most 1000 requests"
WINDOW = timedelta(days=90)  # GeoReport: the default span, and the longest one
STAGE_TIMES = ["reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at"]


@blp.errorhandler(HTTPException)
def _georeport_error(error: HTTPException):
    status, body, headers = error_body(error)
    response = jsonify([{"code": status, "description": body["message"]}])
    response.status_code = status
    response.headers.update(headers)
    return response


class GeoReportErrorSchema(ma.Schema):
    code = ma.fields.Integer(required=True)
    description = ma.fields.String(required=True)


def refusals(*extra: int):
    return documented_errors(blp, *extra, schema=GeoReportErrorSchema(many=True))


def _json_only(format: str) -> None:  # noqa: A002 - GeoReport's name for the path's extension
    if format != "json":
        abort(400, f"format not supported: {format}; this server answers JSON only (.json)")


def _language() -> str:
    return best_language(request.accept_languages)


@functools.cache
def _case_types() -> pd.DataFrame:
    """config/case_types.yaml, checked (a human-reviewed catalogue that changes with a release)."""
    return load_case_types(load_departments()).types.set_index("id", drop=False)


class ServiceSchema(ma.Schema):
    service_code = ma.fields.String(required=True)
    service_name = ma.fields.String(required=True)
    description = ma.fields.String()
    metadata = ma.fields.Boolean(required=True, metadata={"description": "always false: no extra attributes"})
    type = ma.fields.String(required=True, metadata={"description": "realtime"})
    keywords = ma.fields.String(metadata={"description": "comma-separated"})
    group = ma.fields.String(metadata={"description": "the case domain"})


class ServiceRequestSchema(ma.Schema):
    service_request_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open or closed"})
    status_notes = ma.fields.String(allow_none=True)
    service_name = ma.fields.String(allow_none=True)
    service_code = ma.fields.String(allow_none=True)
    description = ma.fields.String(allow_none=True)
    agency_responsible = ma.fields.String(allow_none=True, metadata={"description": "the department id"})
    service_notice = ma.fields.String(allow_none=True)
    requested_datetime = ma.fields.DateTime(allow_none=True)
    updated_datetime = ma.fields.DateTime(allow_none=True)
    expected_datetime = ma.fields.DateTime(allow_none=True, metadata={"description": "the deadline"})
    address = ma.fields.String(allow_none=True)
    address_id = ma.fields.String(allow_none=True)
    zipcode = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    long = ma.fields.Float(allow_none=True)
    media_url = ma.fields.String(allow_none=True)


class RequestQuery(Query):
    # GeoReport clients send parameters of their own (jurisdiction_id, api_key): ignored, not refused.
    jurisdiction_id = ma.fields.String(metadata={"description": "accepted and ignored: one jurisdiction"})
    service_request_id = DelimitedList(
        ma.fields.String(validate=validate.Length(1, 64)),
        validate=validate.Length(max=MAX_REQUESTS),
        metadata={"description": "comma-separated ids; overrides every other parameter"},
    )
    service_code = DelimitedList(ma.fields.String(validate=validate.Length(1, 64)))
    start_date = Instant(metadata={"description": "requested at or after; default: end_date - 90 days"})
    end_date = Instant(metadata={"description": "requested before; default: start_date + 90 days, or now"})
    status = DelimitedList(ma.fields.String(validate=validate.OneOf(["open", "closed"])))

    @ma.validates_schema
    def _span(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and not start < end <= start + WINDOW:
            raise ma.ValidationError("start_date must be before end_date, at most 90 days before", "end_date")


class FormatQuery(Query):
    jurisdiction_id = ma.fields.String(metadata={"description": "accepted and ignored: one jurisdiction"})


@blp.route("/services.<any(json, xml):format>")
@requires(Permission.VIEW_SCREENS)  # the catalogue of case types, not records: like /api/v1/departments
@blp.arguments(FormatQuery, location="query", unknown=ma.EXCLUDE)
@blp.response(200, ServiceSchema(many=True))
@refusals(400)
def services(args, format: str):  # noqa: A002
    """Service list

    The case types (config/case_types.yaml), names in the language of Accept-Language (zh by default)."""
    _json_only(format)
    english = _language() == "en"
    return [
        {
            "service_code": row["id"],
            "service_name": row["name_en"] if english else row["name"],
            "description": f"{row['domain_name_en']}: {row['name_en']}" if english else row["note"],
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(
                dict.fromkeys([row["domain"], row["department"], *(["urgent"] if row["urgent"] else [])])
            ),
            "group": row["domain"],
        }
        for row in _case_types().to_dict("records")
    ]


def _service_request(case: dict[str, Any], english: bool) -> dict[str, Any]:
    types = _case_types()
    code = case.get("case_type")
    known = code in types.index
    stages = [case[c] for c in STAGE_TIMES if case.get(c) is not None]
    return {
        "service_request_id": case["id"],
        "status": "closed" if case["status"] in CLOSED else "open",
        "status_notes": None,
        "service_name": (types.at[code, "name_en" if english else "name"] if known else code),
        "service_code": code,
        "description": case.get("description"),
        "agency_responsible": case.get("department"),
        "service_notice": None,
        "requested_datetime": park_time(case.get("reported_at")),
        "updated_datetime": park_time(max(stages)) if stages else None,
        "expected_datetime": park_time(case.get("sla_deadline")),
        "address": (case.get("address_en") if english else None) or case.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": case.get("lat"),
        "long": case.get("lon"),
        "media_url": None,
    }


def _scope():
    return resolve_scope(current_principal(), None, what=request.path)


@blp.route("/requests.<any(json, xml):format>")
@requires(Permission.READ_RECORDS)
@blp.arguments(RequestQuery, location="query", unknown=ma.EXCLUDE)
@blp.response(200, ServiceRequestSchema(many=True))
@refusals(400, 422)
def service_requests(args, format: str):  # noqa: A002
    """Service requests

    Newest first, at most 1000. Without dates: the last 90 days. Needs read_records; a
    department head (or their token) reads their own department's."""
    _json_only(format)
    scope = _scope()
    if "service_request_id" in args:
        ids = args["service_request_id"]
        if not ids:  # present but empty: not "no filter", which would answer the last 90 days
            abort(400, "service_request_id is empty: give one id or several, comma-separated")
        page, _ = records.cases(scope, ids=ids, limit=MAX_REQUESTS)
        if len(page) < len(set(ids)):
            audit_outside(scope, ids)  # a probe of another department's requests
    else:
        start, end = args.get("start_date"), args.get("end_date")
        if end is None:
            end = start + WINDOW if start else datetime.now(UTC)
        if start is None:
            start = end - WINDOW
        wanted = set(args.get("status") or ())
        statuses = None
        if len(wanted) == 1:
            closed = "closed" in wanted
            statuses = [s for s in CASE_STATUSES if (s in CLOSED) == closed]
        page, _ = records.cases(
            scope,
            status=statuses,
            case_type=args.get("service_code") or None,
            since=start,
            until=end,
            limit=MAX_REQUESTS,
        )
    english = _language() == "en"
    return [_service_request(case, english) for case in records.records_of(page)]


@blp.route("/requests/<service_request_id>.<any(json, xml):format>")
@requires(Permission.READ_RECORDS)
@blp.arguments(FormatQuery, location="query", unknown=ma.EXCLUDE)
@blp.response(200, ServiceRequestSchema(many=True))
@refusals(400, 404)
def service_request(args, service_request_id: str, format: str):  # noqa: A002
    """One service request

    GeoReport answers a list of one. A request outside what the caller may read answers 404,
    like one that does not exist (and the attempt is audited)."""
    _json_only(format)
    case = scoped_case(service_request_id, what=request.path)
    if case is None:
        abort(404, f"no service request {service_request_id[:64]!r}")
    return [_service_request(case, _language() == "en")]
