"""The one map's layers for a reader: each layer computed once per change of the data it is drawn
from (services/figure_cache.py: keyed by the contracts' versions, the reader's scope, the time
range and the filters), kept as gzip-compressed GeoJSON already shifted to the tile server's
coordinate system (settings.tile_crs), so a wall of screens opening the map costs one computation
and then a cache read each. The browser fetches a layer by URL (FIELD_NOTES: big layers travel
by `url=`, compressed, never through a callback).

A layer that fails (its source down or malformed, every feature refused, a query failing) is
reported broken with its reason; the other layers are computed apart and still draw."""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from domain.geo_crs import shift_collection
from domain.geojson import bounds
from domain.map_layers import LayerSpec
from security.scope import Scope
from services import map_contract_layers as contract_layers
from services.context import get_services
from services.data import snapshot
from services.figure_cache import Cached, cached_figure
from services.kpi_periods import Period
from services.map_catalogue import layers
from services.map_drawn import Drawn, broken
from services.map_feature_layers import features_of, from_features, source_layer
from store import alert_desk_rows, map_rows
from store.kpi_sql import scope_condition

log = logging.getLogger(__name__)

STORE_ADAPTER = "sql"  # a features source of this kind is the store: its data version keys the cache
# The contracts each drawing reads: a write to one of them computes the layer again
CONTRACTS = {
    "cases": ["cases"],
    "hotspots": ["cases"],
    "sensors": ["sensors", "alerts", "readings"],
    "alerts": ["alerts", "sensors"],
    "enterprises": ["enterprises", "chains"],
}
RANGED = frozenset({"cases"})  # contracts whose layers draw a time range


@dataclass(frozen=True)
class Layer:
    """A computed layer: what the layer list shows (its Drawn without the features) and its body,
    the FeatureCollection as gzip-compressed JSON in the tile server's coordinate system."""

    meta: Drawn
    count: int
    body: bytes


def _features_source_is_store() -> bool:
    services = get_services()
    name = services.sources.source_of("features")
    return name is not None and services.sources.config.sources[name].adapter == STORE_ADAPTER


def _compute(
    spec: LayerSpec, scope: Scope, span: Period | None, wanted: dict[str, str], now: datetime
) -> Drawn:
    origin = spec.source
    if origin.contract == "sensors":
        return contract_layers.sensors_layer(spec, scope, now)
    if origin.contract == "enterprises":
        return contract_layers.enterprises_layer(spec)
    if origin.contract == "alerts":
        return contract_layers.alerts_layer(spec, scope)
    if origin.contract == "hotspots":
        return contract_layers.hotspots_layer(spec, scope)
    if origin.contract == "cases":
        assert span is not None
        if spec.draw == "heat":
            return contract_layers.heat_layer(spec, scope, span)
        return contract_layers.cases_layer(spec, scope, span, now)
    if origin.source is not None:
        sources = get_services().sources
        snap = sources.monitors[origin.source].read("features")
        rejected = [r for r in sources.recent_rejections(origin.source) if r.contract == "features"]
        return source_layer(spec, snap, rejected, sources.title(origin.source, "en"))
    snap = snapshot("features")
    frame = features_of(snap.frame, origin.features or "")
    title = sources_title("features")
    if frame.empty and snap.stale:
        return broken(spec.id, snap.health.last_error or "the features' source is down", title)
    counts = None
    if spec.measure is not None:
        overdue_at = now if spec.measure == "overdue_cases" else None
        with get_services().engine.connect() as connection:
            counts = map_rows.open_by_cell(connection, scope_condition("cases", scope), overdue_at)
    return from_features(spec, frame, wanted, counts=counts, source=title, stale=bool(snap.stale))


def sources_title(contract: str) -> str | None:
    sources = get_services().sources
    name = sources.source_of(contract)
    return sources.title(name, "en") if name else None


def _contracts(spec: LayerSpec) -> list[str]:
    if spec.source.contract is not None:
        return CONTRACTS[spec.source.contract]
    if spec.source.source is not None:
        return ["readings"]  # a file is not versioned: a short time bucket, like readings
    store = _features_source_is_store()
    reads = ["features"] if store else ["features", "readings"]
    return [*reads, "cases"] if spec.measure else reads


def _body(drawn: Drawn, crs: str) -> bytes:
    collection = shift_collection(drawn.collection(), crs)
    return gzip.compress(json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)


def _key(
    spec: LayerSpec, scope: Scope, span: Period | None, wanted: dict[str, str], crs: str, now: datetime
) -> str:
    parts = [f"map:{spec.id}", scope.department or "*", crs]
    if span is not None:
        minute = now.replace(second=0, microsecond=0)
        end = "now" if span.end >= minute else span.end.isoformat()
        parts += [span.name, span.start.replace(second=0, microsecond=0).isoformat(), end, minute.isoformat()]
    if spec.measure == "overdue_cases":
        parts.append(now.strftime("%Y%m%d%H%M"))  # a case passes its deadline without a write
    parts += [f"{k}={v}" for k, v in sorted(wanted.items())]
    return "|".join(parts)


def layer(
    layer_id: str,
    scope: Scope,
    span: Period | None,
    wanted: dict[str, str] | None = None,
    crs: str | None = None,
    now: datetime | None = None,
) -> Cached[Layer]:
    """The layer `layer_id` for `scope` over `span` (a ranged layer's), its features matching
    `wanted`; computed once per change of its data. KeyError for a layer the catalogue lacks."""
    spec = next((s for s in layers() if s.id == layer_id), None)
    if spec is None:
        raise KeyError(layer_id)
    now = now or datetime.now(UTC)
    crs = crs or get_services().settings.tile_crs
    wanted = {k: v for k, v in (wanted or {}).items() if k in spec.filters}
    span = span if spec.source.contract in RANGED else None

    def compute() -> Layer:
        try:
            drawn = _compute(spec, scope, span, wanted, now)
        except (SQLAlchemyError, OSError) as exc:  # the store or a file is unreachable: this layer only
            log.warning("map layer %s failed: %s", spec.id, exc)
            drawn = broken(spec.id, f"its data could not be read: {type(exc).__name__}: {str(exc)[:200]}")
        return Layer(replace(drawn, features=[]), drawn.count, _body(drawn, crs))

    return cached_figure(_key(spec, scope, span, wanted, crs, now), _contracts(spec), compute)


def layer_list(
    scope: Scope, span: Period | None, wanted: dict[str, dict[str, str]], ids: list[str]
) -> dict[str, Cached[Layer]]:
    """Each of `ids` computed (in catalogue order), for the layer list's counts and legends."""
    out = {}
    for spec in layers():
        if spec.id in ids:
            out[spec.id] = layer(spec.id, scope, span, wanted.get(spec.id))
    return out


def decompressed(body: bytes) -> dict[str, Any]:
    return json.loads(gzip.decompress(body))


def properties_of(spec: LayerSpec, fid: str) -> dict[str, Any] | None:
    """All the properties of feature `fid` of a features layer (the map carries a few), or of a
    sensor or an enterprise; None for what this cannot look up (the click's own properties stand)."""
    origin = spec.source
    if origin.features is not None:
        frame = snapshot("features").frame
        rows = frame[(frame["layer"] == origin.features) & (frame["id"] == fid)]
        return dict(rows.iloc[0]["properties"] or {}) if not rows.empty else None
    if origin.contract in ("sensors", "enterprises"):
        frame = snapshot(origin.contract).frame
        rows = frame[frame["id"] == fid]
        if rows.empty:
            return None
        row = rows.iloc[0].to_dict()
        keep = ("name", "name_en", "kind", "address", "address_en", "grid_cell", "department", "industry_code",
                "chain_link", "founded_on")  # fmt: skip
        return {k: row[k] for k in keep if k in row and row[k] is not None and str(row[k]) != "nan"}
    return None


def sensor_history(
    sensor_id: str, hours: int = 24, now: datetime | None = None
) -> dict[str, list[tuple[datetime, float]]]:
    """The last `hours` of each quantity the sensor has thresholds for (raw readings, then the
    hourly means where the raw ones were rolled up), for the side panel's chart."""
    frame = snapshot("sensors").frame
    rows = frame[frame["id"] == sensor_id]
    if rows.empty:
        return {}
    thresholds = rows.iloc[0].get("thresholds") or {}
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=hours)
    out = {}
    with get_services().engine.connect() as connection:
        for quantity in list(thresholds)[:3]:
            points = alert_desk_rows.readings_between(connection, sensor_id, quantity, since, now)
            out[quantity] = [(at, value) for at, value, _hourly in points]
    return out


def park_centre() -> tuple[float, float]:
    """(lon, lat) of the park's middle (its boundary's box), where the map opens (WGS-84)."""
    frame = snapshot("features").frame
    rows = frame[frame["layer"] == "boundary"] if not frame.empty else frame
    box = bounds(rows.iloc[0]["geometry"]) if not rows.empty else None
    if box is None:  # no boundary: the middle of what there is, else the settings' zone's country
        boxes = [b for b in (bounds(g) for g in frame["geometry"].head(5000)) if b] if not frame.empty else []
        if not boxes:
            return (116.39, 39.91)
        box = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
