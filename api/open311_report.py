"""Open311 GeoReport v2, POST Service Request: citizen apps report into OneScreen
(https://wiki.open311.org/GeoReport_v2, "POST Service Request"). What a report may hold, how a
retry is recognised and what is never kept: services/case_reports.py.

The body is a form (application/x-www-form-urlencoded or multipart/form-data, the
specification's) or a JSON object with the same names. The API key is an API token of the
reporter role, sent as the specification's `api_key` form field or as `Authorization: Bearer`
(security.session reads both). Each token may report `open311_reports_per_minute` times a
minute (a moving window shared by every worker through Redis in production); beyond it 429
with Retry-After. A retry may carry an `Idempotency-Key` header.

Answers, in the path's format (.json or .xml): 201 and a list of one {service_request_id,
service_notice, account_id} for a new case; 200 and the same for a retry that filed nothing;
GeoReport's error list otherwise: 400 naming each field refused, 422 for an Idempotency-Key
reused for another report, 429 too many reports, 403 a token of a role that may not report.
The guard's 401 (no token, or an unknown, revoked or expired one) is the API's JSON, answered
before any view, as for the read endpoints."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort, request
from flask_smorest import abort as smorest_abort

from api.open311 import FORMAT_PARAMETER, _answer, blp, known_format, refusals
from security.guard import requires
from security.roles import Permission
from security.web_context import client_ip, current_principal, state
from services.case_reports import IDENTIFIER_MAX, KeyReused, ReportRefused, file_report, parse_report

NOTICE = "Received: the command centre accepts or rejects it within the service's time limit."
_FORM = {
    "service_code": "string",
    "lat": "number",
    "long": "number",
    "address_string": "string",
    "address_id": "string",
    "description": "string",
    "media_url": "string",
    "device_id": "string",
    "account_id": "string",
    "api_key": "string",
    "jurisdiction_id": "string",
}
_BODY = {
    "type": "object",
    "required": ["service_code"],
    "properties": {k: {"type": v} for k, v in _FORM.items()},
}


class ReportAnswerSchema(ma.Schema):
    service_request_id = ma.fields.String(required=True)
    service_notice = ma.fields.String(allow_none=True)
    account_id = ma.fields.String(allow_none=True, metadata={"description": "as sent; not kept"})


def _fields() -> dict[str, Any]:
    """The report's fields from a JSON object or a form; a form field given twice is refused (a
    reader taking the first and another the last would disagree on what was reported)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400, "the body must be a JSON object of GeoReport's fields, or a form")
        return body
    form = request.form
    repeated = sorted(key for key in form if len(form.getlist(key)) > 1)
    if repeated:
        abort(400, "; ".join(f"{key[:64]}: give this field once" for key in repeated))
    return form.to_dict()


@blp.route("/requests.<format>", methods=["POST"], endpoint="report", parameters=[FORMAT_PARAMETER])
@requires(Permission.REPORT)
@known_format
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _BODY},
            "multipart/form-data": {"schema": _BODY},
            "application/json": {"schema": _BODY},
        },
    },
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string"},
            "description": "a retry with the same key (within 24 hours) files nothing new",
        },  # fmt: skip
    ],
)
@blp.response(201, ReportAnswerSchema(many=True))
@blp.alt_response(200, schema=ReportAnswerSchema(many=True), description="a retry: the case filed before")
@refusals(400, 422, 429)
def report(format: str):  # noqa: A002 - GeoReport's name for the path's extension
    """Report a service request

    Files a new case in the `reported` state on the snap-and-report channel (service_code from
    services.json; lat and long inside the park, address_string or address_id; description at
    most 2,000 characters, kept as text). Needs a token of the reporter role. first_name,
    last_name, email and phone are accepted and never kept; device_id and account_id only
    serve to recognise a retry."""
    principal = current_principal()
    limit = state().report_limit
    assert limit is not None  # security.setup makes it
    wait_s = limit.take(f"token:{principal.token_pk}" if principal.token_pk else principal.name)
    if wait_s is not None:
        smorest_abort(
            429,
            message=f"too many reports from this key: at most {state().settings.open311_reports_per_minute} "
            f"a minute; try again in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )
    fields = _fields()
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and len(key) > IDENTIFIER_MAX:
        abort(400, f"Idempotency-Key: at most {IDENTIFIER_MAX} characters")
    try:
        filed = file_report(parse_report(fields), principal, key=key, ip=client_ip())
    except ReportRefused as refused:
        listed = [{"code": 400, "description": str(problem)} for problem in refused.problems]
        smorest_abort(400, message=str(refused), georeport=listed)
    except KeyReused as reused:
        abort(422, str(reused))
    account = fields.get("account_id")
    answer = [
        {
            "service_request_id": filed.case_id,
            "service_notice": NOTICE,
            "account_id": account if isinstance(account, str) else None,
        }
    ]
    body = _answer(answer, ReportAnswerSchema(many=True), "service_requests", "request")
    if isinstance(body, tuple):  # JSON: flask-smorest dumps it, with the status given here
        return body[0], 201 if filed.created else 200
    body.status_code = 201 if filed.created else 200
    return body
