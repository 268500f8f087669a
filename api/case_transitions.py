"""The closed loop in the JSON API: a case's timeline (events, SLA clock, the steps the caller
may take) and POST /api/v1/cases/{id}/transitions, with the same rules, scope and audit as the
Cases page, because both call services.case_commands."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort, request
from marshmallow import validate

from api.base import park_time
from api.v1 import blp, refusals
from domain.case_lifecycle import Action, RejectReason, StaleVersion, StepRefused
from locales import best_language
from security.guard import requires
from security.roles import Permission
from services.case_commands import CaseNotFound, make_step, refusal_text, take_step
from services.case_detail import CaseDetail, case_detail


class TransitionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf([a.value for a in Action]))
    version = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "the case's version as you read it: a step on a changed case answers 409"},
    )
    note = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "needed to return, reopen or reject"},
    )
    department = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "dispatch: the department"},
    )
    satisfaction = ma.fields.Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(1, 5),
        metadata={"description": "close: the reporter's score from the callback (needed for hotline cases)"},
    )
    reason = ma.fields.String(allow_none=True, validate=validate.OneOf([r.value for r in RejectReason]))
    duplicate_of = ma.fields.String(allow_none=True, validate=validate.Length(max=64))


class StageSchema(ma.Schema):
    stage = ma.fields.String(required=True, metadata={"description": "accept, dispatch, handle or verify"})
    limit_h = ma.fields.Float(required=True)
    started = ma.fields.DateTime(allow_none=True)
    deadline = ma.fields.DateTime(allow_none=True)
    finished = ma.fields.DateTime(allow_none=True)
    standing = ma.fields.String(
        required=True, metadata={"description": "on_time, due_soon, overdue, met, missed or pending"}
    )


class ClockSchema(ma.Schema):
    stage = ma.fields.String(allow_none=True, metadata={"description": "the running stage; null: none runs"})
    stage_deadline = ma.fields.DateTime(allow_none=True)
    case_deadline = ma.fields.DateTime(required=True)
    overdue = ma.fields.Boolean(required=True)
    due_soon = ma.fields.Boolean(required=True)
    stages = ma.fields.List(ma.fields.Nested(StageSchema), required=True)


class EventSchema(ma.Schema):
    action = ma.fields.String(required=True)
    actor = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime(required=True)
    note = ma.fields.String(allow_none=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(allow_none=True)


class TimelineSchema(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "send it back with a transition"})
    department = ma.fields.String(allow_none=True)
    case_type = ma.fields.String(required=True)
    channel = ma.fields.String(required=True)
    reopen_count = ma.fields.Integer(required=True)
    clock = ma.fields.Nested(
        ClockSchema,
        allow_none=True,
        metadata={"description": "null: a case type the catalogue does not know"},
    )
    actions = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "the steps you may take now"}
    )
    events = ma.fields.List(ma.fields.Nested(EventSchema), required=True)


def _clock(detail_clock) -> dict[str, Any] | None:
    if detail_clock is None:
        return None
    return {
        "stage": detail_clock.stage,
        "stage_deadline": park_time(detail_clock.stage_deadline),
        "case_deadline": park_time(detail_clock.case_deadline),
        "overdue": detail_clock.overdue,
        "due_soon": detail_clock.due_soon,
        "stages": [
            {
                "stage": s.stage,
                "limit_h": s.limit.total_seconds() / 3600,
                "started": park_time(s.started),
                "deadline": park_time(s.deadline),
                "finished": park_time(s.finished),
                "standing": s.standing.value,
            }
            for s in detail_clock.stages
        ],
    }


def _timeline(found: CaseDetail) -> dict[str, Any]:
    row = found.case
    return {
        **{k: row[k] for k in ("id", "status", "department", "case_type", "channel")},
        "version": row.get("version") or 1,
        "reopen_count": row.get("reopen_count") or 0,
        "clock": _clock(found.clock),
        "actions": [a.value for a in found.actions],
        "events": [{**e, "at": park_time(e["at"])} for e in found.events],
    }


def _refusal_message(refusal: StepRefused) -> str:
    return refusal_text(refusal, best_language(request.accept_languages, default="en"))


@blp.route("/cases/<case_id>/timeline")
@requires(Permission.READ_RECORDS)
@blp.response(200, TimelineSchema)
@refusals(404)
def case_timeline(case_id: str):
    """A case's timeline

    Its events with who and when, its SLA clock per stage, its version and the steps you may
    take now. Needs read_records; another department's case answers 404 (and is audited)."""
    found = case_detail(case_id)
    if found is None:
        abort(404, f"no case {case_id[:64]!r}")
    return _timeline(found)


@blp.route("/cases/<case_id>/transitions", methods=["POST"])
@requires(Permission.ACT)
@blp.arguments(TransitionSchema, location="json", unknown=ma.RAISE)
@blp.response(200, TimelineSchema)
@refusals(404, 409, 422)
def transition_case(args, case_id: str):
    """Take a step in the closed loop

    accept, dispatch (with `department`), start, handle, verify, close (a hotline case with
    `satisfaction`), return or reopen (with a `note`), reject (with a `note` and a `reason`;
    a duplicate names the earlier case in `duplicate_of`). Send the `version` you read: if the
    case changed in between the answer is 409 and nothing changes. A step your role may not
    take, or one missing what it needs, answers 422 saying why. Needs act; a department head
    acts on their own department's cases only. Every step and refusal is audited."""
    try:
        step = make_step(args.pop("action"), args.pop("version"), **args)
        take_step(case_id, step)
    except CaseNotFound:
        abort(404, f"no case {case_id[:64]!r}")
    except StaleVersion as refusal:
        abort(409, _refusal_message(refusal))
    except StepRefused as refusal:
        abort(422, _refusal_message(refusal))
    found = case_detail(case_id)
    assert found is not None
    return _timeline(found)
