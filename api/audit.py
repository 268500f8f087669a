"""The audit log in the JSON API: matching entries, newest first, and a CSV download (itself
audited). Needs read_audit (administrators)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from api.base import Instant, Query, csv_response, today_in_park
from api.v1 import blp, refusals
from security import audit
from security.guard import requires
from security.roles import Permission
from security.web_context import audit_request, state
from services import audit_log
from services.context import get_services
from services.export import export_detail
from services.records import records_of


class AuditFilters(Query):
    action = DelimitedList(
        ma.fields.String(validate=validate.OneOf(audit.ACTIONS)),
        metadata={"description": "one action or several, comma-separated"},
    )
    outcome = ma.fields.String(validate=validate.OneOf(audit.OUTCOMES))
    actor = ma.fields.String(
        validate=validate.Length(1, 100), metadata={"description": "part of the actor's name"}
    )
    target = ma.fields.String(
        validate=validate.Length(1, 200), metadata={"description": "part of the target"}
    )
    since = Instant(metadata={"description": "at or after (ISO 8601; no offset: the park's time)"})
    until = Instant(metadata={"description": "before (ISO 8601; no offset: the park's time)"})


class AuditQuery(AuditFilters):
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class AuditEntrySchema(ma.Schema):
    at = ma.fields.DateTime(required=True)
    actor = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    outcome = ma.fields.String(required=True)
    target = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(allow_none=True)
    ip = ma.fields.String(allow_none=True)


class AuditPageSchema(ma.Schema):
    total = ma.fields.Integer(required=True, metadata={"description": "entries matching"})
    limit = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(AuditEntrySchema), required=True)


def _filters(args: dict[str, Any]) -> audit.AuditFilter:
    return audit_log.build_filter(
        zone=get_services().settings.zone,
        actions=args.get("action") or (),
        outcome=args.get("outcome"),
        actor=args.get("actor"),
        target=args.get("target"),
        since=args.get("since"),
        until=args.get("until"),
    )


@blp.route("/audit")
@requires(Permission.READ_AUDIT)
@blp.arguments(AuditQuery, location="query", unknown=ma.RAISE)
@blp.response(200, AuditPageSchema)
@refusals(422)
def list_audit(args):
    """Audit log

    Who did what, when, to what, from where: the matching entries, newest first. Needs read_audit."""
    engine = state().engine
    filters = _filters(args)
    entries = audit.query(engine, filters, limit=args["limit"])
    return {"total": audit.count(engine, filters), "limit": args["limit"], "items": records_of(entries)}


@blp.route("/audit/export.csv")
@requires(Permission.READ_AUDIT)
@blp.arguments(AuditFilters, location="query", unknown=ma.RAISE)
@blp.response(
    200,
    content_type="text/csv",
    description=f"UTF-8 CSV with a byte order mark, the newest {audit_log.EXPORT_CAP:,} entries at most "
    "(X-Export-Truncated says when more matched)",
)
@refusals(422)
def export_audit(args):
    """Download the audit log as CSV

    The matching entries (details as JSON). Needs read_audit; the download is audited."""
    filters = _filters(args)
    entries, total = audit_log.for_export(state().engine, filters)
    detail = export_detail(len(entries), total, audit_log.summary(filters))
    audit_request("export", target="audit", detail=detail)
    return csv_response(entries, f"audit-{today_in_park()}.csv", total=total, json_columns=("detail",))
