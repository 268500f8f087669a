"""Open311 GeoReport v2 read endpoints (https://wiki.open311.org/GeoReport_v2): the case types
as services, and cases as service requests, for city portals and 311 clients, in XML (the
specification's required format: `.xml`, `text/xml; charset=utf-8`) or JSON (`.json`). Any
other extension answers 400 naming both.

The service list is reference data (view_screens, or report: a citizen app's token reads the
codes it reports with); requests need read_records and are scoped like the JSON API (a
department head's token reads their department's), or report: a citizen app's token reads
back the requests it reported, to follow their status. The field mapping is the importer's
(data_sources/adapters/open311.py) the other way round: a finished case (closed, or rejected:
the resident's report is done with either way) is "closed", every other stage of ours "open"
(status_notes says "rejected" for a rejected one); expected_datetime is the case's deadline;
updated_datetime its latest stage. Times are in the park's zone, with offset. XML holds the
same elements as JSON, one per field (empty for null, booleans true/false), under
<services><service> and <service_requests><request>
(the rendering: api/open311_format.py).

Requests are read from the store (as the Cases page and the CSV export are, not from the cached
snapshot), the scope a condition of the query, newest report first and then by id (a stable
order: pages never overlap). Without start_date/end_date the window is the last 90 days
(GeoReport's default); within it `page_size` (1 to 1000, default 1000: GeoReport's "at most
1000") and `page` (from 1) page through every request, as Chicago's, Boston's and Toronto's
servers do (the pagination extension on the Open311 wiki). Every list answer says how many
requests the window holds (X-Total-Count) and links the next and previous pages (Link,
rel="next"/"prev"). service_request_id overrides every other parameter, paging included.

Errors answer GeoReport's error list in the request's format: JSON [{"code", "description"}],
XML <errors><error><code/><description/></error></errors>, with the same status codes: 400
for a parameter refused (naming it: GeoReport's code, where the JSON API says 422), 403, 404.
The sign-in guard's 401 stays the API's JSON, answered before any view."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
import pandas as pd
from flask import abort, jsonify, request
from flask_smorest import Blueprint
from marshmallow import validate
from webargs.fields import DelimitedList
from werkzeug.exceptions import HTTPException

from api.base import Instant, Query, audit_outside, documented_errors, error_body, park_time
from api.open311_format import XML_CONTENT, GeoReportErrorSchema, wants_xml, xml_list, xml_response
from data_sources.adapters.open311 import STATUSES
from data_sources.contracts import CASE_STATUSES
from demo.catalogue import load_case_types, load_departments
from domain.case_lifecycle import FINISHED
from locales import best_language
from security.guard import requires
from security.roles import Permission
from security.scope import Scope, resolve_scope
from security.web_context import current_principal
from services.service_requests import MAX_REQUESTS, STAGE_TIMES, read_requests

blp = Blueprint(
    "open311",
    __name__,
    url_prefix="/open311/v2",
    description="Open311 GeoReport v2: service types and service requests, in XML (.xml) or JSON "
    "(.json); citizen apps report new requests (POST requests, api/open311_report.py).",
)
# Ours → GeoReport: the importer's table read backwards (its closed is our closed), and our
# rejected too: a rejected case is finished, closed to the resident who reported it.
CLOSED = frozenset({*(ours for theirs, ours in STATUSES.items() if theirs == "closed"), *FINISHED})
WINDOW = timedelta(days=90)  # GeoReport: the default span, and the longest one
MAX_PAGE_NUMBER = 1_000_000  # far past any window's pages; bounds the store's OFFSET
# A parameter refused answers 400 (GeoReport's code for a bad request; the JSON API says 422).
ARGUMENTS = {"location": "query", "unknown": ma.EXCLUDE, "error_status_code": 400}
# Who reads requests: read_records, or a citizen app's token (report) following its own reports.
READERS = (Permission.READ_RECORDS, Permission.REPORT)
FORMATS = ("xml", "json")
FORMAT_PARAMETER = {
    "in": "path",
    "name": "format",
    "description": "xml (text/xml) or json; any other answers 400",
    "schema": {"type": "string", "enum": list(FORMATS)},
}


@blp.errorhandler(HTTPException)
def _georeport_error(error: HTTPException):
    status, body, headers = error_body(error)
    # a view refusing several fields at once lists each (GeoReport's list); else the one message
    listed = (getattr(error, "data", None) or {}).get("georeport")
    errors = listed or [{"code": status, "description": body["message"]}]
    response = xml_response(xml_list("errors", "error", errors), status) if wants_xml() else jsonify(errors)
    response.status_code = status
    response.headers.update(headers)
    return response


def refusals(*extra: int) -> Callable:
    """The errors a view answers (GeoReport's error list, in JSON or XML) and the XML variant
    of its 200 answer, in the OpenAPI document."""
    errors = documented_errors(blp, *extra, schema=GeoReportErrorSchema(many=True))
    xml = blp.doc(responses={code: {"content": XML_CONTENT} for code in (200, 403, *extra)})
    return lambda fn: xml(errors(fn))


def known_format(fn: Callable) -> Callable:
    """Refuse an extension other than .xml and .json (400, naming both) before the query string
    is read, so the client is told what to change first."""

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        given = kwargs.get("format")
        if given not in FORMATS:
            abort(400, f"format not supported: {str(given)[:16]!r}; ask for .xml or .json")
        return fn(*args, **kwargs)

    return checked


def _answer(items: list[dict[str, Any]], schema: ma.Schema, root: str, item: str, headers=None):
    """`items` in the request's format: XML built here, JSON dumped by flask-smorest."""
    if wants_xml():
        response = xml_response(xml_list(root, item, schema.dump(items)))
        response.headers.update(headers or {})
        return response
    return items, headers or {}


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
    status = ma.fields.String(required=True, metadata={"description": "open, or closed (closed or rejected)"})
    status_notes = ma.fields.String(
        allow_none=True, metadata={"description": "rejected, for a rejected case"}
    )
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
        metadata={"description": "comma-separated ids; overrides every other parameter, paging included"},
    )
    service_code = DelimitedList(ma.fields.String(validate=validate.Length(1, 64)))
    start_date = Instant(metadata={"description": "requested at or after; default: end_date - 90 days"})
    end_date = Instant(metadata={"description": "requested before; default: start_date + 90 days, or now"})
    status = DelimitedList(ma.fields.String(validate=validate.OneOf(["open", "closed"])))
    page_size = ma.fields.Integer(
        load_default=MAX_REQUESTS,
        validate=validate.Range(1, MAX_REQUESTS),
        metadata={"description": "requests per page, 1 to 1000; default 1000 (GeoReport's most)"},
    )
    page = ma.fields.Integer(
        load_default=1,
        validate=validate.Range(1, MAX_PAGE_NUMBER),
        metadata={"description": "which page of the window, from 1 (newest first); past the last: empty"},
    )

    @ma.validates_schema
    def _span(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and not start < end <= start + WINDOW:
            raise ma.ValidationError("start_date must be before end_date, at most 90 days before", "end_date")


class FormatQuery(Query):
    jurisdiction_id = ma.fields.String(metadata={"description": "accepted and ignored: one jurisdiction"})


@blp.route("/services.<format>", parameters=[FORMAT_PARAMETER])
# the catalogue of case types, not records (like /api/v1/departments); citizen apps report with its codes
@requires((Permission.VIEW_SCREENS, Permission.REPORT))
@known_format
@blp.arguments(FormatQuery, **ARGUMENTS)
@blp.response(200, ServiceSchema(many=True))
@refusals(400)
def services(args, format: str):  # noqa: A002 - GeoReport's name for the path's extension
    """Service list

    The case types (config/case_types.yaml), names in the language of Accept-Language (zh by
    default). services.xml: <services><service>…</service></services>; services.json: a list."""
    english = _language() == "en"
    items = [
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
    return _answer(items, ServiceSchema(many=True), "services", "service")


def _service_request(case: dict[str, Any], english: bool) -> dict[str, Any]:
    types = _case_types()
    code = case.get("case_type")
    known = code in types.index
    stages = [case[c] for c in STAGE_TIMES if case.get(c) is not None]
    return {
        "service_request_id": case["id"],
        "status": "closed" if case["status"] in CLOSED else "open",
        "status_notes": "rejected" if case["status"] == "rejected" else None,
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


def _scope() -> Scope:
    return resolve_scope(current_principal(), None, what=request.path)


def _reporter() -> str | None:
    """A citizen app's token (report, without read_records): it reads back its own reports only."""
    principal = current_principal()
    return None if principal.can(Permission.READ_RECORDS) else principal.name


def _paging_headers(total: int, page: int, page_size: int) -> dict[str, str]:
    """X-Total-Count, and a Link (RFC 8288) to the next page and the previous one when there
    are (from past the last page, "prev" is the last page)."""
    last = -(-total // page_size)  # pages in the window; 0 when it is empty
    pages = {"next": page + 1 if page < last else None, "prev": min(page - 1, last) if page > 1 else None}
    links = [
        f'<{request.base_url}?{urlencode({**request.args.to_dict(), "page": str(number)})}>; rel="{rel}"'
        for rel, number in pages.items()
        if number
    ]
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return headers


@blp.route("/requests.<format>", parameters=[FORMAT_PARAMETER])
@requires(READERS)
@known_format
@blp.arguments(RequestQuery, **ARGUMENTS)
@blp.response(
    200,
    ServiceRequestSchema(many=True),
    headers={
        "X-Total-Count": {"description": "requests in the window (all pages)", "schema": {"type": "integer"}},
        "Link": {
            "description": 'the next and previous pages: rel="next", rel="prev"',
            "schema": {"type": "string"},
        },
    },
)
@refusals(400)
def service_requests(args, format: str):  # noqa: A002
    """Service requests

    Newest first (then by id), a page at a time: `page_size` requests (1 to 1000, default 1000,
    GeoReport's most) of page `page` (from 1). Without dates the window is the last 90 days;
    X-Total-Count says how many it holds and Link points to the next and previous pages.
    requests.xml: <service_requests><request>…</request></service_requests>; requests.json: a
    list. Needs read_records; a department head (or their token) reads their own department's,
    a citizen app's token (reporter) the requests it reported."""
    scope = _scope()
    if "service_request_id" in args:
        ids = args["service_request_id"]
        if not ids:  # present but empty: not "no filter", which would answer the last 90 days
            abort(400, "service_request_id is empty: give one id or several, comma-separated")
        page, total = read_requests(scope, ids=ids, reporter=_reporter())
        if len(page) < len(set(ids)):
            audit_outside(scope, ids)  # a probe of another department's requests
        headers = {"X-Total-Count": str(total)}
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
        size, number = args["page_size"], args["page"]
        page, total = read_requests(
            scope,
            statuses=statuses,
            codes=args.get("service_code") or None,
            since=start,
            until=end,
            limit=size,
            offset=(number - 1) * size,
            reporter=_reporter(),
        )
        headers = _paging_headers(total, number, size)
    english = _language() == "en"
    items = [_service_request(case, english) for case in page]
    return _answer(items, ServiceRequestSchema(many=True), "service_requests", "request", headers)


@blp.route("/requests/<service_request_id>.<format>", parameters=[FORMAT_PARAMETER])
@requires(READERS)
@known_format
@blp.arguments(FormatQuery, **ARGUMENTS)
@blp.response(200, ServiceRequestSchema(many=True))
@refusals(400, 404)
def service_request(args, service_request_id: str, format: str):  # noqa: A002
    """One service request

    GeoReport answers a list of one (in XML a <service_requests> of one <request>). A request
    outside what the caller may read answers 404, like one that does not exist (and the
    attempt is audited)."""
    scope = _scope()
    found, _ = read_requests(scope, ids=[service_request_id], limit=1, reporter=_reporter())
    if not found:
        audit_outside(scope, [service_request_id])
        abort(404, f"no service request {service_request_id[:64]!r}")
    items = [_service_request(found[0], _language() == "en")]
    return _answer(items, ServiceRequestSchema(many=True), "service_requests", "request")
