"""The map's search box in the JSON API: places, enterprises, city parts (by code) and cases (by
id) matching a query, each with where to fly. Anyone who may see the screens may search places
(shared park-wide reference data); case hits go only to principals who may read records, within
their scope (a department head finds their own department's cases only)."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from marshmallow import validate

from api.base import Query, scope_for
from api.v1 import blp, refusals
from locales import LANGUAGES, best_language
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.map_search import KINDS, MAX_QUERY, search


class MapSearchQuery(Query):
    q = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY),
        metadata={
            "description": "a name, English name, address, grid cell id, city part code or case id; "
            "case-insensitive, plain text (no patterns); under 2 characters (one Chinese character "
            "will do) finds nothing"
        },
    )
    lang = ma.fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "language of label and detail; default: Accept-Language"},
    )
    limit = ma.fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class HitSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"description": " | ".join(KINDS)})
    id = ma.fields.String(required=True)
    label = ma.fields.String(required=True, metadata={"description": "its name in the language asked for"})
    detail = ma.fields.String(
        required=True, metadata={"description": "a second line: category, street or department"}
    )
    lon = ma.fields.Float(allow_none=True, metadata={"description": "null: a case reported without a place"})
    lat = ma.fields.Float(allow_none=True)
    bbox = ma.fields.List(
        ma.fields.Float(),
        allow_none=True,
        metadata={"description": "west, south, east, north of a line or polygon; null for a point"},
    )
    zoom = ma.fields.Integer(required=True, metadata={"description": "the zoom to fly to"})


class MapSearchSchema(ma.Schema):
    hits = ma.fields.List(ma.fields.Nested(HitSchema), required=True)


@blp.route("/map/search")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(MapSearchQuery, location="query", unknown=ma.RAISE)
@blp.response(200, MapSearchSchema)
@refusals(422)
def map_search(args):
    """Search the map

    Places whose name, English name or address contains `q`, best first: exact matches, then
    those starting with it, then the rest, shorter names first. City parts are found by their
    exact code, cases by their exact id (only for callers holding read_records, within their
    department's scope). Needs view_screens."""
    principal = current_principal()
    scope = scope_for(principal, None, what=request.path)
    lang = args.get("lang") or best_language(request.accept_languages)
    with_cases = principal.can(Permission.READ_RECORDS)
    hits = search(args["q"], scope, lang, args["limit"], with_cases=with_cases)
    return {"hits": [hit.as_dict() for hit in hits]}
