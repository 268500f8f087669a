"""What one map layer draws, as computed for a reader: its GeoJSON features (WGS-84, each with
the few properties the map carries and `k`, the CSS class that colours it), its legend with a
count per entry, the features refused with their reasons, and whether it is broken (nothing can
be drawn, and why) or stale (its source is down: these are its last good features).

The colour classes are generic (k0…k9 by frequency, b0…b4 for a choropleth's bands), so a layer
added by config alone is coloured and explained without code; the themes' CSS gives them colours."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = 9  # k0…k8 for the most frequent values; the rest share k9 ("other")
BANDS = 5  # b0 (none) … b4 (most)
MAX_REFUSED = 20  # refusals kept with their reasons (all are counted)


@dataclass(frozen=True)
class LegendEntry:
    key: str  # the value (a class code, a state, a band's range)
    css: str  # k0…k9, b0…b4, or a state's own class (critical, offline…)
    zh: str
    en: str
    count: int

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Drawn:
    layer: str
    features: list[dict[str, Any]]
    legend: tuple[LegendEntry, ...] = ()
    total: int = 0  # the features behind the layer (more than drawn when capped)
    refused: tuple[tuple[str, str], ...] = ()  # (feature id or position, reason), the first few
    refused_count: int = 0
    broken: str | None = None
    stale: bool = False
    capped: bool = False  # only the newest `len(features)` of `total` are drawn
    source: str | None = None
    filters: dict[str, tuple[LegendEntry, ...]] = field(default_factory=dict)  # values to filter on

    @property
    def count(self) -> int:
        return len(self.features)

    def collection(self) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": self.features}


def broken(layer: str, reason: str, source: str | None = None) -> Drawn:
    return Drawn(layer, [], broken=reason, source=source)


def feature(fid: str, geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]}


def categories(
    values: Iterable[str], names: Callable[[str], tuple[str, str]]
) -> tuple[dict[str, str], tuple[LegendEntry, ...]]:
    """Each value's colour class (k0… by frequency, the rarest beyond CATEGORIES sharing k9) and
    the legend: one entry per value, named by `names(value)` → (zh, en)."""
    counts = Counter(values)
    ordered = [v for v, _ in counts.most_common()]
    css = {v: (f"k{i}" if i < CATEGORIES else f"k{CATEGORIES}") for i, v in enumerate(ordered)}
    legend = tuple(LegendEntry(v, css[v], *names(v), counts[v]) for v in ordered)
    return css, legend


def bands(counts: Iterable[int]) -> list[int]:
    """The upper bounds of bands b1…b3 over the non-zero counts (b0 is zero, b4 the rest):
    quartiles, so each colour holds about as many areas, kept distinct and increasing."""
    positive = sorted(c for c in counts if c > 0)
    if not positive:
        return []
    cuts: list[int] = []
    for q in (0.25, 0.5, 0.75):
        value = positive[min(len(positive) - 1, int(q * len(positive)))]
        if not cuts or value > cuts[-1]:
            cuts.append(value)
    return cuts


def band_of(count: int, cuts: list[int]) -> int:
    if count <= 0:
        return 0
    for i, cut in enumerate(cuts):
        if count <= cut:
            return i + 1
    return len(cuts) + 1


def band_legend(counts: list[int], cuts: list[int], unit: tuple[str, str]) -> tuple[LegendEntry, ...]:
    """One entry per band in use: its range of counts and how many areas fall in it."""
    per_band = Counter(band_of(c, cuts) for c in counts)
    edges = [0, *cuts, max(counts, default=0)]
    entries = []
    for band in range(len(cuts) + 2):
        if band == 0:
            low = high = 0
        else:
            low, high = edges[band - 1] + 1, edges[band] if band <= len(cuts) else edges[-1]
        if band and low > high:
            continue
        text = f"{low}" if low == high else f"{low}–{high}"
        english = unit[1].removesuffix("s") if text == "1" else unit[1]  # 1 case, 2 cases
        entries.append(
            LegendEntry(text, f"b{band}", f"{text} {unit[0]}", f"{text} {english}", per_band.get(band, 0))
        )
    return tuple(entries)
