"""What the API's modules share: the error payload, query-string schemas that take each
parameter once, a time field read in the park's zone, the department a request may read, and
CSV downloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
import numpy as np
import pandas as pd
from flask import Response, abort, jsonify
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from security.principal import Principal
from security.scope import Scope, resolve_scope
from security.setup import MESSAGES
from services.context import get_services
from services.reference import departments

ERRORS = {**MESSAGES, 405: "method not allowed", 422: "invalid request", 500: "internal error"}
# Excel runs a cell that starts with one of these as a formula (CSV injection, OWASP): a
# citizen's description must not become one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=get_services().settings.zone)
        return moment.astimezone(UTC)


def scope_for(principal: Principal, requested: str | None, *, what: str) -> Scope:
    """The scope of a request naming `requested` (or none). Another department than a
    department head's own is refused (403, audited) by resolve_scope before anything is
    looked up, so the answer does not tell which departments exist; an unknown one then 400."""
    scope = resolve_scope(principal, requested, what=what)
    if scope.department is not None and scope.department not in {d["id"] for d in departments()}:
        abort(400, f"unknown department {scope.department!r}")
    return scope


def park_time(value: Any) -> Any:
    """A timestamp in the park's time zone (what people and city portals read); others as they are."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(get_services().settings.zone)
    return value


def csv_response(
    frame: pd.DataFrame, filename: str, *, total: int, json_columns: tuple[str, ...] = ()
) -> Response:
    """A CSV download of `frame`: UTF-8 with a byte order mark (Excel then reads Chinese right),
    times ISO 8601 in the park's zone, `json_columns` as JSON, text that would start a formula
    quoted. When `total` is larger than the frame, the X-Export-Truncated header says the
    download was cut. Column-wise: 200,000 cases take seconds, not tens of them."""
    zone = get_services().settings.zone
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = _iso_in(series, zone)
            continue
        if column in json_columns:
            series = out[column] = series.map(
                lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
            )
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            # checked once per distinct value: most columns hold a few (status, domain, channel)
            formulas = [v for v in pd.unique(series) if isinstance(v, str) and v.startswith(FORMULA_START)]
            if formulas:
                hit = series.isin(formulas)
                out.loc[hit, column] = "'" + series[hit]
    body = "\ufeff" + out.to_csv(index=False, lineterminator="\r\n")
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Export-Rows"] = str(len(frame))
    if total > len(frame):
        response.headers["X-Export-Truncated"] = f"{len(frame)} of {total} rows"
    return response


def _iso_in(series: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Aware times as ISO 8601 text to the second in `zone`, with its offset ('' for none).
    Column-wise: the wall time by numpy, the offset from the few distinct ones (isoformat per
    row took seconds for an export)."""
    utc = series.dt.tz_convert("UTC").dt.tz_localize(None)
    local = series.dt.tz_convert(zone).dt.tz_localize(None)
    minutes = (local - utc).dt.total_seconds() // 60
    offsets = {
        m: f"{'-' if m < 0 else '+'}{int(abs(m)) // 60:02d}:{int(abs(m)) % 60:02d}"
        for m in minutes.dropna().unique()
    }
    wall = pd.Series(
        np.datetime_as_string(local.to_numpy().astype("datetime64[s]")), index=series.index, dtype=object
    )
    return (wall + minutes.map(offsets)).where(series.notna(), "")


def today_in_park() -> str:
    return datetime.now(UTC).astimezone(get_services().settings.zone).date().isoformat()
