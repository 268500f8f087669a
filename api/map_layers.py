"""The one map's layers in the JSON API: the catalogue with each layer's state for the caller
(count, legend, broken with its reason, stale, refused features) and each layer as a GeoJSON
FeatureCollection, the body the map page fetches by URL. Scoped like /cases: a department head's
cases, counts and alerts are their department's. Layers of single records (case points, hot
spots with their case ids) need read_records; the others are screens' figures."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import Response, abort, request

from api.base import scope_for
from api.v1 import DepartmentQuery, blp, refusals
from domain.map_layers import LayerSpec
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.context import get_services
from services.kpi_periods import Period, PeriodError
from services.map_catalogue import RANGES, layers, map_period, readable
from services.map_layers import layer

CRS = ("wgs84", "gcj02", "bd09", "cgcs2000")
MAX_FILTERS = 8


class RangeQuery(DepartmentQuery):
    range = ma.fields.String(
        load_default="7d", validate=ma.validate.OneOf(RANGES),
        metadata={"description": "the time range of ranged layers (cases): the last 24h, 7d, 30d, 90d, 365d, or custom"},
    )  # fmt: skip
    since = ma.fields.Date(
        data_key="from", metadata={"description": "custom range: the first day (the park's)"}
    )
    until = ma.fields.Date(data_key="to", metadata={"description": "custom range: the last day, included"})


class LayerQuery(RangeQuery):
    crs = ma.fields.String(
        validate=ma.validate.OneOf(CRS),
        metadata={"description": "coordinates in this system (default wgs84, as RFC 7946 says; the map asks for its tile server's)"},
    )  # fmt: skip
    v = ma.fields.String(
        validate=ma.validate.Length(max=40),
        metadata={"description": "ignored: the map moves it to fetch a live layer again past any cache"},
    )
    where = ma.fields.String(
        validate=ma.validate.Length(max=400),
        metadata={"description": "property filters, `name:value` joined by commas (the layer's `filters`)"},
    )


class LegendSchema(ma.Schema):
    key = ma.fields.String(required=True)
    css = ma.fields.String(required=True, metadata={"description": "the colour class the map draws it with"})
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class LayerStateSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    draw = ma.fields.String(required=True)
    group = ma.fields.String(required=True, metadata={"description": "base or theme"})
    shown = ma.fields.Boolean(required=True, metadata={"description": "drawn when the map opens"})
    count = ma.fields.Integer(required=True, metadata={"description": "features drawn"})
    total = ma.fields.Integer(
        required=True, metadata={"description": "what they stand for (cases counted, all cases when capped)"}
    )
    capped = ma.fields.Boolean(required=True)
    broken = ma.fields.String(
        allow_none=True, metadata={"description": "why nothing draws, when nothing can"}
    )
    stale = ma.fields.Boolean(required=True)
    refused_count = ma.fields.Integer(required=True)
    refused = ma.fields.List(
        ma.fields.List(ma.fields.String()), metadata={"description": "[feature, reason], the first 20"}
    )
    legend = ma.fields.List(ma.fields.Nested(LegendSchema), required=True)
    source = ma.fields.String(allow_none=True)
    computed_at = ma.fields.String(required=True)
    url = ma.fields.String(required=True)


class LayerListSchema(ma.Schema):
    layers = ma.fields.List(ma.fields.Nested(LayerStateSchema), required=True)


def span_of(args: dict[str, Any]) -> Period:
    zone = get_services().settings.zone
    try:
        return map_period(args.get("range"), datetime.now(UTC), zone, args.get("since"), args.get("until"))
    except PeriodError as exc:
        abort(422, str(exc))


def parse_where(raw: str | None, spec: LayerSpec) -> dict[str, str]:
    """`name:value,…` into the layer's filters; a name the layer cannot filter on is refused."""
    wanted: dict[str, str] = {}
    for part in [p for p in (raw or "").split(",") if p.strip()][: MAX_FILTERS + 1]:
        name, sep, value = part.partition(":")
        if not sep or name.strip() not in spec.filters:
            can = ", ".join(spec.filters) or "nothing"
            abort(
                422,
                f"`where`: {part[:40]!r} is not name:value of a filter of {spec.id} (it filters on {can})",
            )
        wanted[name.strip()] = value.strip()
    if len(wanted) > MAX_FILTERS:
        abort(422, f"`where`: at most {MAX_FILTERS} filters")
    return wanted


def state(spec: LayerSpec, computed: Any, url: str) -> dict[str, Any]:
    meta = computed.value.meta
    return {
        "id": spec.id, "name": spec.title.zh, "name_en": spec.title.en, "draw": spec.draw, "group": spec.group,
        "shown": spec.shown, "count": computed.value.count, "total": meta.total, "capped": meta.capped,
        "broken": meta.broken, "stale": meta.stale, "refused_count": meta.refused_count,
        "refused": [list(r) for r in meta.refused], "source": meta.source,
        "legend": [{"key": e.key, "css": e.css, "name": e.zh, "name_en": e.en, "count": e.count} for e in meta.legend],
        "computed_at": computed.computed_at.isoformat(), "url": url,
    }  # fmt: skip


@blp.route("/map/layers")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(RangeQuery, location="query", unknown=ma.RAISE)
@blp.response(200, LayerListSchema)
@refusals(400, 422)
def map_layers(args):
    """The map's layers and their state

    Every layer of config/map_layers.yaml the caller may read, in drawing order, each with its
    count, legend, and whether it is broken (with the reason: a source that is not GeoJSON,
    every feature refused), stale (its source is down) or capped. Needs view_screens; layers
    of single records need read_records too; scoped like /cases."""
    principal = current_principal()
    scope = scope_for(principal, args.get("department"), what=request.path)
    span = span_of(args)
    out = []
    for spec in layers():
        if readable(spec, principal):
            out.append(state(spec, layer(spec.id, scope, span), f"/api/v1/map/layers/{spec.id}"))
    return {"layers": out}


@blp.route("/map/layers/<layer_id>")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(LayerQuery, location="query", unknown=ma.RAISE)
@blp.response(
    200, description="a GeoJSON FeatureCollection (RFC 7946), gzip-encoded when the client accepts it"
)
@refusals(400, 404, 422)
def map_layer(args, layer_id: str):
    """One layer's features

    The layer as a GeoJSON FeatureCollection: each feature with the few properties the map
    carries and `k`, its colour class (the legend's `css`). Computed once per change of its
    data and served compressed. A broken layer answers an empty collection (its reason is in
    /map/layers). Needs view_screens (and read_records for layers of single records)."""
    spec = next((s for s in layers() if s.id == layer_id), None)
    if spec is None or not readable(spec, current_principal()):
        abort(404, f"no map layer {layer_id[:64]!r}; the layers are listed at /api/v1/map/layers")
    scope = scope_for(current_principal(), args.get("department"), what=request.path)
    computed = layer(
        spec.id, scope, span_of(args), parse_where(args.get("where"), spec), args.get("crs") or "wgs84"
    )
    body = computed.value.body
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding, Cookie, Authorization"}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
    else:
        body = gzip.decompress(body)
    return Response(body, content_type="application/geo+json", headers=headers)
