"""The park around one place, for the small maps beside a case (and, later, an alert): the
features of a few layers (grid cells, streets, buildings, camera points) within a radius.

They come from the features contract through the per-app snapshot cache (features are a small
contract, DESIGN.md: whichever source serves them, the demo park or a GeoJSON file), indexed
once per snapshot by their bounds, so opening a case costs a few array comparisons, not a pass
over the layers' geometries."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from domain.geojson import bounds
from services.data import snapshot

# What a small map draws, bottom to top. Parts (56,801 of them) belong on the map page.
LAYERS = ("grid_unit", "building", "street", "camera_point")
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Surroundings:
    """Each layer's features near the place, as GeoJSON FeatureCollections; `stale` when the
    features' source is down and these are its last good features."""

    layers: dict[str, dict[str, Any]]
    stale: bool
    # the nearest camera point however far (a duty officer looks there first) and its distance
    nearest_camera: dict[str, Any] | None = None
    nearest_camera_m: float | None = None

    def count(self, layer: str) -> int:
        return len(self.layers.get(layer, {}).get("features", []))


@dataclass(frozen=True)
class _Index:
    fetched_at: datetime | None
    rows: pd.DataFrame  # layer, id, geometry, properties of LAYERS' features with a position
    box: np.ndarray  # (n, 4): west, south, east, north


_lock = threading.Lock()
_indexes: dict[int, _Index] = {}  # per snapshot cache (one per app), by its id


def _index_of(frame: pd.DataFrame, fetched_at: datetime | None) -> _Index:
    rows = frame[frame["layer"].isin(LAYERS)].reset_index(drop=True)
    boxes = [bounds(g) for g in rows["geometry"]]
    keep = [b is not None for b in boxes]
    rows = rows[keep].reset_index(drop=True)
    box = np.array([b for b in boxes if b is not None], dtype="float64").reshape(-1, 4)
    return _Index(fetched_at, rows, box)


def _current_index() -> tuple[_Index, bool]:
    from services.context import get_services

    snap = snapshot("features")
    key = id(get_services().snapshots)
    with _lock:
        index = _indexes.get(key)
        if index is None or index.fetched_at != snap.fetched_at:
            index = _index_of(snap.frame, snap.fetched_at)
            _indexes[key] = index
    return index, snap.stale


def surroundings(lon: float, lat: float, radius_m: float = 250.0) -> Surroundings | None:
    """The features of LAYERS whose bounds come within `radius_m` of (lon, lat), by layer; None
    for a place that is not one (missing, not finite, out of range). Never raises for a
    features source that is down: its last good features are given, marked stale."""
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    index, stale = _current_index()
    dy = radius_m / METRES_PER_DEGREE
    dx = dy / max(math.cos(math.radians(lat)), 0.01)
    box = index.box
    near = (
        (box[:, 0] <= lon + dx) & (box[:, 2] >= lon - dx) & (box[:, 1] <= lat + dy) & (box[:, 3] >= lat - dy)
    )
    rows = index.rows[near]
    layers: dict[str, dict[str, Any]] = {}
    for layer in LAYERS:
        picked = rows[rows["layer"] == layer]
        layers[layer] = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": str(fid), "geometry": geometry, "properties": _names(properties)}
                for fid, geometry, properties in zip(
                    picked["id"], picked["geometry"], picked["properties"], strict=True
                )
            ],
        }
    camera, metres = _nearest(index, "camera_point", lon, lat)
    return Surroundings(layers, stale, camera, metres)


def _nearest(index: _Index, layer: str, lon: float, lat: float) -> tuple[dict[str, Any] | None, float | None]:
    """The feature of `layer` whose bounds' centre is nearest (lon, lat), and how far in metres
    (equirectangular: exact enough across a park)."""
    mask = (index.rows["layer"] == layer).to_numpy()
    if not mask.any():
        return None, None
    box = index.box[mask]
    dx = ((box[:, 0] + box[:, 2]) / 2 - lon) * math.cos(math.radians(lat))
    dy = (box[:, 1] + box[:, 3]) / 2 - lat
    metres = np.hypot(dx, dy) * METRES_PER_DEGREE
    i = int(np.argmin(metres))
    row = index.rows[mask].iloc[i]
    feature = {
        "type": "Feature",
        "id": str(row["id"]),
        "geometry": row["geometry"],
        "properties": _names(row["properties"]),
    }
    return feature, float(metres[i])


def _names(properties: Any) -> dict[str, Any]:
    """Only the names travel to the browser: a small map labels, it does not list properties."""
    if not isinstance(properties, dict):
        return {}
    return {k: properties[k] for k in ("name", "name_en") if k in properties}
