"""The JSON API, version 1: the one blueprint under /api/v1 (DESIGN.md, "One API"). This module
holds the blueprint and the small reads (who am I, departments); api.kpis, api.cases, api.audit
and the others add their routes to the same blueprint. Every view declares its permission with
security.guard.requires, directly under the route, and reads within the scope the principal
may see."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from api.base import Query, documented_errors, error_response
from security.guard import ANYONE, requires
from security.roles import Permission
from security.web_context import current_principal
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


@blp.route("/departments")
@requires(Permission.VIEW_SCREENS)
@blp.response(200, DepartmentSchema(many=True))
@refusals()
def list_departments():
    """Departments

    The park's departments (ids are what `department` parameters take). Needs view_screens."""
    return departments()
