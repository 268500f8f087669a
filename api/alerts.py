"""Alerts in the JSON API: a page of them (filtered and paged in the store), one with its events
and the steps the caller may take, and POST /api/v1/alerts/{id}/transitions with the same
rules, scope and audit as the Alerts page, because both call services.alert_commands."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort, request
from marshmallow import validate
from webargs.fields import DelimitedList

from api.base import Instant, Query, park_time, scope_for
from api.v1 import blp, refusals
from domain.alert_lifecycle import Action, Severity, State
from domain.steps import StaleVersion, StepRefused
from locales import best_language
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.alert_commands import AlertNotFound, make_step, refusal_text, take_step
from services.alert_detail import AlertView, alert_detail, alert_page

PERSON_ACTIONS = [a.value for a in Action if a is not Action.CLEAR]


class AlertQuery(Query):
    department = ma.fields.String(
        metadata={"description": "the department answering; default: all the caller may read (a head: own)"}
    )
    state = DelimitedList(
        ma.fields.String(validate=validate.OneOf([s.value for s in State])),
        metadata={"description": "one state or several, comma-separated"},
    )
    severity = DelimitedList(
        ma.fields.String(validate=validate.OneOf([s.value for s in Severity])),
        metadata={"description": "comma-separated"},
    )
    sensor = ma.fields.String(validate=validate.Length(1, 128), metadata={"description": "a sensor id"})
    rule = ma.fields.String(validate=validate.Length(1, 64))
    since = Instant(metadata={"description": "raised at or after (ISO 8601; no offset: the park's time)"})
    until = Instant(metadata={"description": "raised before (ISO 8601; no offset: the park's time)"})
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    offset = ma.fields.Integer(load_default=0, validate=validate.Range(min=0))

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ma.ValidationError("since must be before until", "until")


class AlertSchema(ma.Schema):
    id = ma.fields.String(required=True)
    rule = ma.fields.String(required=True)
    sensor_id = ma.fields.String(allow_none=True)
    quantity = ma.fields.String(allow_none=True)
    value = ma.fields.Float(allow_none=True, metadata={"description": "the worst value while raised"})
    threshold = ma.fields.Float(allow_none=True)
    severity = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "send it back with a transition"})
    department = ma.fields.String(allow_none=True, metadata={"description": "who answers it"})
    owner = ma.fields.String(allow_none=True)
    case_id = ma.fields.String(allow_none=True, metadata={"description": "the case opened from it"})
    raised_at = ma.fields.DateTime(required=True)
    acknowledged_at = ma.fields.DateTime(allow_none=True)
    assigned_at = ma.fields.DateTime(allow_none=True)
    escalated_at = ma.fields.DateTime(allow_none=True)
    resolved_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    cleared_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "when its readings were back to normal; null: still active"}
    )
    detail = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "its text: title and message (catalogue keys) and the message's values"},
    )


class AlertPageSchema(ma.Schema):
    department = ma.fields.String(allow_none=True, metadata={"description": "null: the whole park"})
    total = ma.fields.Integer(required=True, metadata={"description": "alerts matching, on every page"})
    limit = ma.fields.Integer(required=True)
    offset = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(AlertSchema), required=True)


class AlertEventSchema(ma.Schema):
    seq = ma.fields.Integer(required=True, metadata={"description": "the live stream's sequence number"})
    action = ma.fields.String(required=True)
    actor = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime(required=True)
    note = ma.fields.String(allow_none=True)
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(allow_none=True)


class AlertDetailSchema(AlertSchema):
    actions = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "the steps you may take now"}
    )
    events = ma.fields.List(ma.fields.Nested(AlertEventSchema), required=True)


class AlertTransitionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf(PERSON_ACTIONS))
    version = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "the alert's version as you read it: a step on a changed alert answers 409"},
    )
    note = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "needed to resolve and to escalate"},
    )
    assignee = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"description": "assign: a person"}
    )
    department = ma.fields.String(
        allow_none=True, validate=validate.Length(max=32), metadata={"description": "assign: a department"}
    )


_TIMES = (
    "raised_at",
    "acknowledged_at",
    "assigned_at",
    "escalated_at",
    "resolved_at",
    "closed_at",
    "cleared_at",
)


def _alert(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "version": row.get("version") or 1, **{k: park_time(row.get(k)) for k in _TIMES}}


def _detail(found: AlertView) -> dict[str, Any]:
    events = [{**{k: v for k, v in e.items() if k not in ("pk", "alert_id")}, "seq": e["pk"],
               "at": park_time(e["at"])} for e in found.events]  # fmt: skip
    return {**_alert(found.alert), "actions": [a.value for a in found.actions], "events": events}


@blp.route("/alerts")
@requires(Permission.READ_RECORDS)
@blp.arguments(AlertQuery, location="query", unknown=ma.RAISE)
@blp.response(200, AlertPageSchema)
@refusals(400, 422)
def list_alerts(args):
    """Alerts

    A page of alerts, newest raised first, with how many match: by state, severity, sensor,
    rule and raising time. Needs read_records; a department head reads the alerts their own
    department answers (naming another one: 403)."""
    scope = scope_for(current_principal(), args.pop("department", None), what=request.path)
    limit, offset = args.pop("limit"), args.pop("offset")
    rows, total = alert_page(scope, limit=limit, offset=offset, **args)
    return {
        "department": scope.department,
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [_alert(row) for row in rows],
    }


@blp.route("/alerts/<alert_id>")
@requires(Permission.READ_RECORDS)
@blp.response(200, AlertDetailSchema)
@refusals(404)
def get_alert(alert_id: str):
    """One alert

    The alert with its events (each with its live-stream sequence number), its version and the
    steps you may take now. Another department's alert answers 404 (and is audited)."""
    found = alert_detail(alert_id)
    if found is None:
        abort(404, f"no alert {alert_id[:64]!r}")
    return _detail(found)


@blp.route("/alerts/<alert_id>/transitions", methods=["POST"])
@requires(Permission.ACT)
@blp.arguments(AlertTransitionSchema, location="json", unknown=ma.RAISE)
@blp.response(200, AlertDetailSchema)
@refusals(404, 409, 422)
def transition_alert(args, alert_id: str):
    """Take a step in an alert's lifecycle

    acknowledge; assign (to a person `assignee` or a `department`); escalate (with a `note`);
    resolve (with a `note`); close (once its readings are normal); open_case (files a case on
    the iot_alert channel, accepted by you, linked both ways; once). Send the `version` you
    read: if the alert changed in between the answer is 409 and nothing changes. A step your
    role may not take, or one missing what it needs, answers 422 saying why. Needs act; a
    department head acts on their own department's alerts only. Every step and refusal is
    audited."""
    try:
        step = make_step(args.pop("action"), args.pop("version"), **args)
        take_step(alert_id, step)
    except AlertNotFound:
        abort(404, f"no alert {alert_id[:64]!r}")
    except StaleVersion as refusal:
        abort(409, _refusal_message(refusal))
    except StepRefused as refusal:
        abort(422, _refusal_message(refusal))
    found = alert_detail(alert_id)
    assert found is not None
    return _detail(found)


def _refusal_message(refusal: StepRefused) -> str:
    return refusal_text(refusal, best_language(request.accept_languages, default="en"))
