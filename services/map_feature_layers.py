"""Map layers drawn from GeoJSON features: a layer of the features contract, or a GeoJSON source
named by the layer itself (a layer by config alone), and the choropleths that colour grid cells
by what the store counts in them. Every feature is checked against what its layer draws
(domain.map_layers.feature_problem); a refused one is counted with its reason and the others draw.
A layer whose source cannot be read, or whose every feature is refused, is broken with the reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from domain.geojson import bounds
from domain.map_layers import LayerSpec, feature_problem
from services.data import snapshot
from services.map_drawn import (
    MAX_REFUSED,
    Drawn,
    LegendEntry,
    band_legend,
    band_of,
    bands,
    broken,
    categories,
    feature,
)

CASES_UNIT = ("件", "cases")


def _values(frame: pd.DataFrame, field_name: str) -> list[str]:
    return [
        str(p.get(field_name))
        for p in frame["properties"]
        if isinstance(p, dict) and p.get(field_name) is not None
    ]


def _names(frame: pd.DataFrame, by: str, zh: str | None, en: str | None):
    """value → (zh, en) names, from the first feature holding each value."""
    first: dict[str, tuple[str, str]] = {}
    for props in frame["properties"]:
        if not isinstance(props, dict) or props.get(by) is None:
            continue
        value = str(props[by])
        if value not in first:
            first[value] = (
                str(props.get(zh) or value) if zh else value,
                str(props.get(en) or value) if en else value,
            )
    return lambda value: first.get(value, (value, value))


def _filter_values(frame: pd.DataFrame, spec: LayerSpec) -> dict[str, tuple[LegendEntry, ...]]:
    """Each filterable property's values with their counts (named like the legend when the
    property is the colouring one), for the layer list's filter menus."""
    out = {}
    for name in spec.filters:
        names = (
            _names(frame, name, spec.classes.zh, spec.classes.en)
            if spec.classes and spec.classes.by == name
            else _names(frame, name, f"{name.removesuffix('_code')}", f"{name.removesuffix('_code')}_en")
        )
        _css, entries = categories(_values(frame, name), names)
        out[name] = tuple(sorted(entries, key=lambda e: e.key))
    return out


def _matches(props: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    return all(str(props.get(k)) == v for k, v in wanted.items())


def from_features(
    spec: LayerSpec,
    frame: pd.DataFrame,
    wanted: Mapping[str, str] | None = None,
    *,
    counts: Mapping[str, int] | None = None,
    source: str | None = None,
    stale: bool = False,
) -> Drawn:
    """The layer's features from `frame` (columns id, geometry, properties), those matching the
    `wanted` property values, coloured by the spec's classes or, for a choropleth, by `counts`
    per feature id."""
    wanted = {k: v for k, v in (wanted or {}).items() if k in spec.filters}
    css: dict[str, str] = {}
    legend: tuple[LegendEntry, ...] = ()
    if spec.classes is not None:
        css, legend = categories(
            _values(frame, spec.classes.by), _names(frame, spec.classes.by, spec.classes.zh, spec.classes.en)
        )
    cuts = bands(counts.values()) if counts is not None else []
    features: list[dict[str, Any]] = []
    refused: list[tuple[str, str]] = []
    refused_count = 0
    drawn_by: Counter = Counter()  # features drawn per class value, for the legend
    carried = spec.carried
    for fid, geometry, props in zip(frame["id"], frame["geometry"], frame["properties"], strict=True):
        props = props if isinstance(props, dict) else {}
        if wanted and not _matches(props, wanted):
            continue
        if spec.others_elsewhere and isinstance(geometry, dict) and geometry.get("type") not in spec.geometry:
            continue
        problem = feature_problem(geometry, spec.geometry)
        if problem is not None:
            refused_count += 1
            if len(refused) < MAX_REFUSED:
                refused.append((str(fid), problem))
            continue
        kept = {k: props[k] for k in carried if props.get(k) is not None}
        if counts is not None:
            n = int(counts.get(str(fid), 0))
            kept["n"], kept["k"] = n, f"b{band_of(n, cuts)}"
        elif spec.classes is not None:
            value = str(props.get(spec.classes.by))
            drawn_by[value] += 1
            kept["k"] = css.get(value, "k9")
        features.append(feature(str(fid), geometry, kept))
    if spec.classes is not None:  # the colours hold across layers of one source; the counts are this layer's
        legend = tuple(replace(e, count=drawn_by[e.key]) for e in legend if drawn_by[e.key])
    if counts is not None:
        drawn_counts = [f["properties"]["n"] for f in features]
        legend = band_legend(drawn_counts, cuts, CASES_UNIT)
    if not features and refused_count:
        reason = f"all {refused_count} features refused; the first: {refused[0][1]}"
        return Drawn(
            spec.id, [], legend, 0, tuple(refused), refused_count, broken=reason, source=source, stale=stale
        )
    total = sum(int(counts.get(str(f["id"]), 0)) for f in features) if counts is not None else len(features)
    return Drawn(
        spec.id, features, legend, total, tuple(refused), refused_count,
        stale=stale, source=source, filters=_filter_values(frame, spec),
    )  # fmt: skip


def park_box() -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the park (its boundary's box; with no boundary, of what
    there is), WGS-84; None for a park with nothing drawn."""
    frame = snapshot("features").frame
    rows = frame[frame["layer"] == "boundary"] if not frame.empty else frame
    box = bounds(rows.iloc[0]["geometry"]) if not rows.empty else None
    if box is None:
        boxes = [b for b in (bounds(g) for g in frame["geometry"].head(5000)) if b] if not frame.empty else []
        if not boxes:
            return None
        box = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
    return box


def park_centre() -> tuple[float, float]:
    """(lon, lat) of the park's middle (its box), where the map opens (WGS-84); with nothing
    drawn, Beijing's."""
    box = park_box()
    if box is None:
        return (116.39, 39.91)
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def source_layer(spec: LayerSpec, snap: Any, rejections: list[Any], title: str | None) -> Drawn:
    """A layer from a named GeoJSON source: its snapshot of `features` and the rows its adapter
    rejected (a malformed member, before the layer saw them). A source that cannot be read at
    all (a file that is not GeoJSON) leaves the layer broken with the source's own reason."""
    frame = snap.frame
    if frame.empty and (snap.stale or snap.health.last_error):
        if rejections:
            return broken(spec.id, f"no feature could be read; the first: {rejections[0].reason}", title)
        return broken(
            spec.id, snap.health.last_error or "its source is down and has no last good features", title
        )
    drawn = from_features(spec, frame, source=title, stale=bool(snap.stale))
    if not rejections:
        return drawn
    extra = tuple((str(r.key or r.row), r.reason) for r in rejections[:MAX_REFUSED])
    refused = (drawn.refused + extra)[:MAX_REFUSED]
    if not drawn.features:
        why = f"no feature could be drawn; the first refused: {refused[0][1]}"
        return Drawn(
            spec.id, [], (), 0, refused, drawn.refused_count + len(rejections), broken=why, source=title
        )
    return Drawn(
        spec.id, drawn.features, drawn.legend, drawn.total, refused, drawn.refused_count + len(rejections),
        stale=drawn.stale, source=title, filters=drawn.filters,
    )  # fmt: skip
