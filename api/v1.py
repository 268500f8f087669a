"""The JSON API, version 1: the one blueprint under /api/v1 (DESIGN.md, "One API"). This module
holds the blueprint and the small reads (who am I, KPIs, departments); api.cases and api.audit
add their routes to the same blueprint. Every view declares its permission with
security.guard.requires, directly under the route, and reads within the scope the principal
may see."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from api.base import Query, documented_errors, error_response, scope_for
from locales import t
from security.guard import ANYONE, requires
from security.roles import Permission
from security.web_context import current_principal
from services.kpis import overview_figures
from services.reference import departments

blp = Blueprint(
    "api_v1",
    __name__,
    url_prefix="/api/v1",
    description="OneScreen's JSON API: figures, records and the audit log, within what the caller may see.",
)
# Errors raised in these views answer the API's error body, with webargs' per-parameter messages.
blp.register_error_handler(HTTPException, error_response)


def refusals(*extra: int):
    return documented_errors(blp, *extra)


class MeSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "username, token:<client> or anonymous"})
    display_name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "user, token or anonymous"})
    roles = ma.fields.List(ma.fields.String(), required=True)
    department = ma.fields.String(allow_none=True)
    scoped_department = ma.fields.String(
        allow_none=True,
        metadata={"description": "the one department this caller may read; null: the whole park"},
    )
    permissions = ma.fields.List(ma.fields.String(), required=True)


class DepartmentQuery(Query):
    department = ma.fields.String(
        metadata={
            "description": "a department id; default: all the caller may read (a department head: their own)"
        }
    )


class KpiSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(metadata={"description": "label in Chinese"})
    name_en = ma.fields.String(metadata={"description": "label in English"})
    value = ma.fields.Float(allow_none=True, metadata={"description": "null: no data to compute it from"})
    format = ma.fields.String(metadata={"description": "integer, percent (value is a share 0-1) or decimal1"})
    better = ma.fields.String(metadata={"description": "up or down: which way is good"})
    measure = ma.fields.String()
    contract = ma.fields.String(metadata={"description": "the data it is computed from"})
    source = ma.fields.String(allow_none=True, metadata={"description": "the source serving that data"})
    fetched_at = ma.fields.DateTime(allow_none=True)
    stale = ma.fields.Boolean(
        metadata={"description": "true: the source is down, this is its last good data"}
    )


class KpisSchema(ma.Schema):
    department = ma.fields.String(allow_none=True, metadata={"description": "null: the whole park"})
    kpis = ma.fields.List(ma.fields.Nested(KpiSchema), required=True)


class DepartmentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)


@blp.route("/me")
@requires(ANYONE)
@blp.response(200, MeSchema)
@refusals()
def me():
    """Who is asking

    The signed-in user or the API token's client, its roles and what they allow."""
    principal = current_principal()
    return {
        "name": principal.name,
        "display_name": principal.display_name,
        "kind": principal.kind,
        "roles": [role.value for role in principal.roles],
        "department": principal.department,
        "scoped_department": principal.scoped_department,
        "permissions": sorted(p.value for p in principal.permissions),
    }


@blp.route("/kpis")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(DepartmentQuery, location="query", unknown=ma.RAISE)
@blp.response(200, KpisSchema)
@refusals(400, 422)
def kpis(args):
    """KPI figures

    The Overview's figures (config/kpis.yaml) within the department asked for, or all the
    caller may read. Needs view_screens; a department head naming another department gets 403."""
    scope = scope_for(current_principal(), args.get("department"), what=request.path)
    figures = overview_figures(scope).kpis  # the screens' shared cache: no extra computation
    return {
        "department": scope.department,
        "kpis": [
            {
                "id": f.spec.id,
                "name": t(f"kpi.{f.spec.id}", "zh"),
                "name_en": t(f"kpi.{f.spec.id}", "en"),
                "value": f.value,
                "format": f.spec.format,
                "better": f.spec.better,
                "measure": f.spec.measure,
                "contract": f.spec.contract,
                "source": f.source,
                "fetched_at": f.fetched_at,
                "stale": f.stale,
            }
            for f in figures
        ],
    }


@blp.route("/departments")
@requires(Permission.VIEW_SCREENS)
@blp.response(200, DepartmentSchema(many=True))
@refusals()
def list_departments():
    """Departments

    The park's departments (ids are what `department` parameters take). Needs view_screens."""
    return departments()
