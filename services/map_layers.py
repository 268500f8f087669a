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
from domain.map_layers import LayerSpec
from security.scope import Scope
from services import map_contract_layers as contract_layers
from services.context import get_services
from services.data import snapshot
from services.figure_cache import Cached, cached_figure
from services.kpi_periods import Period
from services.map_catalogue import spec_of
from services.map_drawn import Drawn, broken
from services.map_feature_layers import from_features, source_layer
from services.snapshot_versions import follow
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
# ... and those of them read as snapshots, which `follow` keeps in step with their versions
SNAPSHOTS = {"sensors": ["sensors"], "enterprises": ["enterprises", "chains"]}
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
    frame = snap.frame[snap.frame["layer"] == origin.features] if not snap.frame.empty else snap.frame
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


def _reads(spec: LayerSpec) -> tuple[list[str], list[str], int | None]:
    """The contracts whose versions key the layer, those of them it reads as snapshots, and how
    long it is kept when what it reads has no version (a file: as long as a snapshot is)."""
    counted = ["cases"] if spec.measure else []
    if spec.source.contract is not None:
        return CONTRACTS[spec.source.contract], SNAPSHOTS.get(spec.source.contract, []), None
    timeout = get_services().settings.cache_timeout_s
    if spec.source.source is not None or not _features_source_is_store():
        return counted, [], timeout  # re-read after cache_timeout_s, like the snapshot it comes from
    return ["features", *counted], ["features"], None


def _body(drawn: Drawn, crs: str) -> bytes:
    collection = shift_collection(drawn.collection(), crs)
    return gzip.compress(json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)


def _scoped(spec: LayerSpec) -> bool:
    """Whether the layer differs by department: records' layers and a measure's counts do; the
    park's features, a named source's and the enterprises are the same for every department,
    so they are drawn once, not once per department asked for (each cost seconds)."""
    return spec.measure is not None or spec.source.contract not in (None, "enterprises")


def _key(
    spec: LayerSpec, scope: Scope, span: Period | None, wanted: dict[str, str], crs: str, now: datetime
) -> str:
    parts = [f"map:{spec.id}", (scope.department if _scoped(spec) else None) or "*", crs]
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
    spec = spec_of(layer_id)
    if spec is None:
        raise KeyError(layer_id)
    now = now or datetime.now(UTC)
    crs = crs or get_services().settings.tile_crs
    wanted = {k: v for k, v in (wanted or {}).items() if k in spec.filters}
    span = span if spec.source.contract in RANGED else None

    versioned, snapshots, timeout = _reads(spec)

    def compute() -> Layer:
        try:
            if snapshots:
                follow(snapshots)  # a write by another process: the snapshot is read again
            drawn = _compute(spec, scope, span, wanted, now)
        except (SQLAlchemyError, OSError) as exc:  # the store or a file is unreachable: this layer only
            log.warning("map layer %s failed: %s", spec.id, exc)
            drawn = broken(spec.id, f"its data could not be read: {type(exc).__name__}: {str(exc)[:200]}")
        return Layer(replace(drawn, features=[]), drawn.count, _body(drawn, crs))

    return cached_figure(_key(spec, scope, span, wanted, crs, now), versioned, compute, timeout_s=timeout)


def layer_state(
    layer_id: str, scope: Scope, span: Period | None, wanted: dict[str, str] | None = None
) -> Cached[Layer]:
    """The layer as the layer list shows it (count, legend, state), without its body: cached
    apart, so a list refreshed on every screen's tick reads a few hundred bytes per layer, not
    the parts layer's 650 KB."""
    spec = spec_of(layer_id)
    if spec is None:
        raise KeyError(layer_id)
    now = datetime.now(UTC)
    crs = get_services().settings.tile_crs
    kept = {k: v for k, v in (wanted or {}).items() if k in spec.filters}
    ranged = span if spec.source.contract in RANGED else None
    versioned, _snapshots, timeout = _reads(spec)

    def compute() -> Layer:
        return replace(layer(layer_id, scope, span, kept, crs, now).value, body=b"")

    return cached_figure(
        _key(spec, scope, ranged, kept, crs, now) + "|state", versioned, compute, timeout_s=timeout
    )


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
