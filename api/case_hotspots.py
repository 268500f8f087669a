"""Act before complaints (未诉先办) in the JSON API: the findings of services.hotspots as a GeoJSON
FeatureCollection for the map's hot-spot layer. Scoped like /cases: a department head reads
their own department's findings (naming another one: 403, audited)."""

from __future__ import annotations

import marshmallow as ma
from flask import request

from api.base import scope_for
from api.v1 import DepartmentQuery, blp, refusals
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services import hotspots


class HotspotFeatureSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"description": "Feature"})
    id = ma.fields.String(required=True)
    geometry = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "a Point: the grid cell's centre (count) or the cases' centroid (repeat)"},
    )
    properties = ma.fields.Dict(
        required=True,
        metadata={
            "description": "kind (count: a cell x type over its seasonal baseline; repeat: cases "
            "within radius_m of one place), grid_cell and its names, case_type and its names, "
            "observed, expected, ratio, p, q (Benjamini-Hochberg), window_start, window_end "
            "(the park's time), radius_m, case_ids"
        },
    )


class HotspotCollectionSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"description": "FeatureCollection"})
    features = ma.fields.List(ma.fields.Nested(HotspotFeatureSchema), required=True)
    computed_at = ma.fields.String(
        required=True, metadata={"description": "when the findings were computed (UTC)"}
    )
    window_start = ma.fields.String(required=True)
    window_end = ma.fields.String(required=True)
    tested = ma.fields.Integer(required=True, metadata={"description": "grid cell x case type pairs tested"})


@blp.route("/cases/hotspots")
@requires(Permission.READ_RECORDS)
@blp.arguments(DepartmentQuery, location="query", unknown=ma.RAISE)
@blp.response(200, HotspotCollectionSchema)
@refusals(400, 422)
def case_hotspots(args):
    """Act before complaints: hot spots

    Grid cells whose last seven days of one case type stand out against the same weekdays of
    the eight weeks before, allowing for the season (negative-binomial tail, Benjamini-Hochberg
    at 5 %), and repeated complaints from one place (three or more cases of a type within 50 m
    or at one address), most surprising first, each with its evidence and the ids of its cases.
    Computed in the store and cached for five minutes. Needs read_records; scoped like /cases."""
    scope = scope_for(current_principal(), args.get("department"), what=request.path)
    return hotspots.feature_collection(hotspots.hotspots(scope))
