"""What the API's modules share: the error payload, query-string schemas that take each
parameter once, a time field read in the park's zone, the department a request may read, one
case read within it (a probe of another department's audited), and CSV downloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import marshmallow as ma
import pandas as pd
from flask import Response, jsonify
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from security.principal import Principal
from security.scope import Scope, resolve_scope
from security.setup import MESSAGES
from security.web_context import audit_request, current_principal
from services import records
from services.context import get_services
from services.export import csv_text, park_to_utc
from services.reference import department_ids

ERRORS = {**MESSAGES, 405: "method not allowed", 422: "invalid request", 500: "internal error"}


class ErrorSchema(ma.Schema):
    """The body of every error the API answers (security.setup writes the same for its own)."""

    error = ma.fields.String(required=True, metadata={"description": "short name of the status"})
    message = ma.fields.String(metadata={"description": "what went wrong, for a person"})
    errors = ma.fields.Dict(metadata={"description": "per location and parameter, what is wrong"})


def _flatten(problems: Any, prefix: str = "") -> list[str]:
    if isinstance(problems, dict):
        out = []
        for key, value in problems.items():
            # webargs nests by location ("query"), marshmallow names a whole-schema error "_schema"
            name = "" if key in ("query", "path", "_schema") else str(key)
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(problems, list | tuple):
        return [line for item in problems for line in _flatten(item, prefix)]
    return [f"{prefix}: {problems}" if prefix else str(problems)]


def error_body(error: HTTPException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) for an HTTP error raised in a view: with webargs' validation
    messages spelled out, so a client sees which parameter is wrong and why."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    problems = data.get("messages") or data.get("errors")
    message = data.get("message") or error.description or ""
    if problems:
        message = "invalid parameters: " + "; ".join(line.rstrip(".") for line in _flatten(problems))
    body: dict[str, Any] = {"error": ERRORS.get(status, "error"), "message": message}
    if problems:
        body["errors"] = problems
    return status, body, dict(data.get("headers") or {})


def error_response(error: HTTPException) -> Response:
    status, body, headers = error_body(error)
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


def documented_errors(blueprint: Blueprint, *extra: int, schema: ma.Schema | None = None) -> Callable:
    """Document, in the OpenAPI document, the 401 and 403 every view can answer and the `extra`
    statuses: flask-smorest's shared responses (ErrorSchema), or `schema` for those the view's
    blueprint answers itself (the guard's 401 is always ErrorSchema)."""

    def decorate(fn: Callable) -> Callable:
        for code in (401, 403, *extra):
            if schema is None or code == 401:
                fn = blueprint.alt_response(code, response=HTTPStatus(code).name)(fn)
            else:
                fn = blueprint.alt_response(code, schema=schema, description=HTTPStatus(code).phrase)(fn)
        return fn

    return decorate


class Query(ma.Schema):
    """Query-string arguments, each given at most once: webargs reads the first of repeated
    values, so `?department=a&department=b` could mean one department to a check and another
    to a reader; it is refused instead."""

    @ma.pre_load
    def _given_once(self, data: Any, **_: Any) -> Any:
        raw = getattr(data, "data", None)  # webargs' MultiDictProxy around the request's MultiDict
        if hasattr(raw, "getlist"):
            repeated = {key: ["give this parameter once"] for key in raw if len(raw.getlist(key)) > 1}
            if repeated:
                raise ma.ValidationError(repeated)
        return data


class Instant(ma.fields.DateTime):
    """An ISO 8601 date or date-time; one without an offset is the park's local time (a date is
    its midnight). Loads as an aware UTC datetime; years outside 1900-2200 are refused (they
    overflow time zone arithmetic)."""

    default_error_messages = {  # marshmallow merges these with DateTime's
        "invalid": "Not a valid date or time: use ISO 8601, e.g. 2026-11-01 or 2026-11-01T08:00:00+08:00."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not 1900 <= moment.year <= 2200:
            raise ma.ValidationError("the year must be between 1900 and 2200")
        return park_to_utc(moment, get_services().settings.zone)


def scope_for(principal: Principal, requested: str | None, *, what: str) -> Scope:
    """The scope of a request naming `requested` (or none). resolve_scope refuses another
    department than a department head's own (403, audited) before it looks the id up, so the
    answer does not tell a department head which departments exist; an unknown id then 400."""
    return resolve_scope(principal, requested, what=what, known=department_ids)


def scoped_case(case_id: str, *, what: str) -> dict[str, Any] | None:
    """The case `case_id` within the current principal's scope, or None whether it is missing
    or another department's: callers answer 404 for both, so its existence does not leak. A
    probe of another department's case is audited (scope.denied), as naming another
    department is."""
    scope = resolve_scope(current_principal(), None, what=what)
    found = records.case(scope, case_id)
    if found is None:
        audit_outside(scope, [case_id])
    return found


def audit_outside(scope: Scope, case_ids: list[str]) -> None:
    """Audit asking for cases that exist outside `scope` (nothing when none does)."""
    outside = records.outside_scope(scope, case_ids)
    if outside:
        target = f"case:{outside[0]}" if len(outside) == 1 else "cases"
        detail = {"own": scope.department, "cases": outside[:20], "count": len(outside)}
        audit_request("scope.denied", outcome="denied", target=target[:200], detail=detail)


def park_time(value: Any) -> Any:
    """A timestamp in the park's time zone (what people and city portals read); others as they are."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(get_services().settings.zone)
    return value


def csv_response(
    frame: pd.DataFrame, filename: str, *, total: int, json_columns: tuple[str, ...] = ()
) -> Response:
    """A CSV download of `frame` (services.export.csv_text: times in the park's zone, formulas
    quoted). When `total` is larger than the frame, the X-Export-Truncated header says the
    download was cut."""
    body = csv_text(frame, get_services().settings.zone, json_columns=json_columns)
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Export-Rows"] = str(len(frame))
    if total > len(frame):
        response.headers["X-Export-Truncated"] = f"{len(frame)} of {total} rows"
    return response


def today_in_park() -> str:
    return datetime.now(UTC).astimezone(get_services().settings.zone).date().isoformat()
