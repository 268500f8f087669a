"""The map page's search box: an address, point of interest, street, building, area, grid cell,
enterprise, city part (by its code) or case (by its id) found by name, in Chinese or English,
with where the map should fly to show it.

Features and enterprises are small contracts: they are indexed once per snapshot (as
services/surroundings.py does), so a keystroke costs a few vectorised string comparisons over
some 5,500 names, not a pass over geometries. City parts (56,801, all named after their class)
are found only by their exact code, through a dict. Cases are a LARGE contract: a case id is one
indexed query in the store, within the caller's scope."""

from __future__ import annotations

import math
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from domain.geojson import bounds
from locales import t
from security.scope import Scope
from services.context import get_services
from services.data import snapshot
from services.reference import department_name
from store.case_rows import CASES

KINDS = ("address", "poi", "street", "building", "area", "grid_cell", "enterprise", "case", "part")
LAYER_KIND = {
    "house_number": "address",
    "poi": "poi",
    "camera_point": "poi",
    "street": "street",
    "building": "building",
    "area": "area",
    "block": "area",
    "boundary": "area",
    "grid_unit": "grid_cell",
    "grid_community": "grid_cell",
    "grid_responsibility": "grid_cell",
}
# Kind order among equally good matches; a query shaped like a case id or an address moves
# that kind to the front.
KIND_ORDER = ("street", "area", "poi", "enterprise", "building", "address", "grid_cell", "part", "case")
MAX_QUERY = 100
POINT_ZOOM = 18
MIN_ZOOM = 3
# Degrees of longitude a ~1,400 px wide map shows at zoom 0 (256 px tiles): 360 * 1400 / 256.
VIEW_DEGREES_AT_ZOOM_0 = 1969.0
PADDING = 1.25  # a fitted feature keeps a margin around it
CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{5,63}$")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NOT_FOUND = 9  # a rank no match has: exact 0, prefix 1, substring 2


@dataclass(frozen=True)
class Hit:
    """One search result: where to fly (lon, lat; bbox west, south, east, north for a line or
    polygon, None for a point; zoom). A case without a location has lon and lat None."""

    kind: str
    id: str
    label: str
    detail: str
    lon: float | None
    lat: float | None
    bbox: tuple[float, float, float, float] | None
    zoom: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Index:
    key: tuple
    kind: np.ndarray  # (n,) kind names
    ids: np.ndarray
    fields: tuple[pd.Series, ...]  # lowercased name, name_en, address, address_en, cell id ("" if none)
    lengths: tuple[np.ndarray, ...]  # each field's length in characters
    labels: dict[str, list[str]]  # by language
    label_rank: dict[str, np.ndarray]  # each row's place in (label, id) order, by language
    details: dict[str, list[str]]
    box: np.ndarray  # (n, 4)
    parts: dict[str, tuple[str, Any, dict[str, Any]]]  # lowercased code -> id, geometry, properties


_lock = threading.Lock()
_indexes: dict[int, _Index] = {}  # per snapshot cache (one per app), by its id


def _frame(contract: str) -> tuple[pd.DataFrame, Any]:
    """The contract's snapshot frame and its fetch time; no rows when no source serves it."""
    if get_services().sources.source_of(contract) is None:
        return pd.DataFrame(), None
    snap = snapshot(contract)
    return snap.frame, snap.fetched_at


def _in(lang: str, zh: Any, en: Any) -> str:
    text = en if lang == "en" and en else zh
    return "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _build(key: tuple, features: pd.DataFrame, enterprises: pd.DataFrame, chains: pd.DataFrame) -> _Index:
    streets, parts, rows = {}, {}, []
    columns = ["layer", "id", "geometry", "properties"]
    for layer, fid, geometry, props in (
        features[columns].itertuples(index=False, name=None) if len(features) else ()
    ):
        props = props if isinstance(props, dict) else {}
        if layer == "street":
            streets[str(fid)] = (props.get("name"), props.get("name_en"))
        if layer == "part":
            if props.get("code"):
                parts[str(props["code"]).lower()] = (str(fid), geometry, props)
        elif layer in LAYER_KIND and (box := bounds(geometry)) is not None:
            rows.append((layer, str(fid), props, box))
    links = {}
    if len(chains):
        links = dict(zip(chains["link"], zip(chains["name"], chains["name_en"], strict=True), strict=True))
    kind, ids, boxes, names = [], [], [], ([], [], [], [], [])
    labels: dict[str, list[str]] = {"zh": [], "en": []}
    details: dict[str, list[str]] = {"zh": [], "en": []}
    for layer, fid, props, box in rows:
        kind.append(LAYER_KIND[layer])
        ids.append(fid)
        boxes.append(box)
        for column, name in zip(names[:4], ("name", "name_en", "address", "address_en"), strict=True):
            column.append(str(props.get(name) or ""))
        names[4].append(fid if LAYER_KIND[layer] == "grid_cell" else "")  # a cell is known by its id
        street = streets.get(str(props.get("street")), (None, None))
        for lang in ("zh", "en"):
            labels[lang].append(_in(lang, props.get("name"), props.get("name_en")) or fid)
            what = _in(lang, props.get("category_name"), props.get("category_name_en"))
            what = what or t(f"map_search.layer.{layer}", lang)
            where = _in(lang, props.get("address"), props.get("address_en")) or _in(lang, *street)
            details[lang].append(_join(what, fid if LAYER_KIND[layer] == "grid_cell" else where))
    for row in enterprises.itertuples(index=False) if len(enterprises) else ():
        lon, lat = getattr(row, "lon", None), getattr(row, "lat", None)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)):
            continue  # nowhere to fly to
        kind.append("enterprise")
        ids.append(str(row.id))
        boxes.append((lon, lat, lon, lat))
        for column, value in zip(names, (row.name, row.name_en, "", "", ""), strict=True):
            column.append(str(value or ""))
        link = links.get(getattr(row, "chain_link", None), (None, None))
        for lang in ("zh", "en"):
            labels[lang].append(_in(lang, row.name, row.name_en))
            details[lang].append(_join(t("map_search.layer.enterprise", lang), _in(lang, *link)))
    fields = tuple(pd.Series(column, dtype=object).str.lower() for column in names)
    return _Index(
        key=key,
        kind=np.array(kind, dtype=object),
        ids=np.array(ids, dtype=object),
        fields=fields,
        lengths=tuple(f.str.len().to_numpy() for f in fields),
        labels=labels,
        label_rank={lang: _ranks(labels[lang], ids) for lang in labels},
        details=details,
        box=np.array(boxes, dtype="float64").reshape(-1, 4),
        parts=parts,
    )


def _ranks(labels: list[str], ids: list[str]) -> np.ndarray:
    rank = np.empty(len(labels), dtype=np.int64)
    rank[sorted(range(len(labels)), key=lambda i: (labels[i], ids[i]))] = np.arange(len(labels))
    return rank


def _current_index() -> _Index:
    features, at_f = _frame("features")
    enterprises, at_e = _frame("enterprises")
    chains, at_c = _frame("chains")
    key = (at_f, at_e, at_c)
    slot = id(get_services().snapshots)
    with _lock:
        index = _indexes.get(slot)
        if index is None or index.key != key:
            index = _build(key, features, enterprises, chains)
            _indexes[slot] = index
    return index


def zoom_for(box: tuple[float, float, float, float]) -> int:
    """The zoom that shows `box` whole with a margin on a desk-sized map; POINT_ZOOM for a point."""
    west, south, east, north = box
    lat = math.radians((south + north) / 2)
    span = max(east - west, (north - south) / max(math.cos(lat), 0.01)) * PADDING
    if span <= 0:
        return POINT_ZOOM
    return int(min(POINT_ZOOM, max(MIN_ZOOM, math.floor(math.log2(VIEW_DEGREES_AT_ZOOM_0 / span)))))


def _place(box: tuple[float, float, float, float]) -> tuple[float, float, tuple | None, int]:
    west, south, east, north = (float(v) for v in box)
    if west == east and south == north:
        return west, south, None, POINT_ZOOM
    return (west + east) / 2, (south + north) / 2, (west, south, east, north), zoom_for(box)


def _too_short(q: str) -> bool:
    return len(q) < 2 and not CJK.search(q)


def _kind_order(raw: str) -> dict[str, int]:
    """KIND_ORDER, with the kind the query is shaped like first: a case id (letters and digits,
    no spaces, 6+ characters, mostly digits), or an address (a number beside a name)."""
    order = list(KIND_ORDER)
    digits = sum(c.isdigit() for c in raw)
    looks_like = None
    if CASE_ID.match(raw) and digits * 2 > len(raw):
        looks_like = "case"
    elif digits and (CJK.search(raw) or re.search(r"\d+\s+\w|\w\s+\d+", raw)):
        looks_like = "address"
    if looks_like:
        order.remove(looks_like)
        order.insert(0, looks_like)
    return {kind: i for i, kind in enumerate(order)}


def _feature_hits(
    index: _Index, q: str, lang: str, order: dict[str, int], limit: int
) -> list[tuple[tuple, Hit]]:
    n = len(index.ids)
    best = np.full(n, NOT_FOUND, dtype=np.int64)
    length = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    for field, lengths in zip(index.fields, index.lengths, strict=True):
        contains = field.str.contains(q, regex=False).to_numpy(dtype=bool)
        if not contains.any():
            continue
        rank = np.where(
            field.to_numpy() == q, 0, np.where(field.str.startswith(q).to_numpy(dtype=bool), 1, 2)
        )
        rank = np.where(contains, rank, NOT_FOUND)
        better = (rank < best) | ((rank == best) & (lengths < length))
        best, length = np.where(better, rank, best), np.where(better, lengths, length)
    found = np.flatnonzero(best < NOT_FOUND)
    kinds = np.array([order[k] for k in index.kind[found]], dtype=np.int64)
    # Only the best `limit` become Hits: a one-character query can match thousands of buildings.
    first = found[np.lexsort((index.label_rank[lang][found], kinds, length[found], best[found]))[:limit]]
    out = []
    for i in first:
        kind, label = index.kind[i], index.labels[lang][i]
        lon, lat, box, zoom = _place(index.box[i])
        hit = Hit(kind, index.ids[i], label, index.details[lang][i], lon, lat, box, zoom)
        out.append(((int(best[i]), int(length[i]), order[kind], label, hit.id), hit))
    return out


def _part_hit(index: _Index, q: str, lang: str, order: dict[str, int]) -> list[tuple[tuple, Hit]]:
    found = index.parts.get(q)
    box = bounds(found[1]) if found else None
    if found is None or box is None:
        return []
    fid, _, props = found
    lon, lat, bbox, zoom = _place(box)
    label = _join(_in(lang, props.get("name"), props.get("name_en")), str(props.get("code")))
    department = department_name(props["department"], lang) if props.get("department") else ""
    detail = _join(t("map_search.layer.part", lang), department)
    return [((0, len(q), order["part"], label, fid), Hit("part", fid, label, detail, lon, lat, bbox, zoom))]


def _case_hits(raw: str, scope: Scope, lang: str, order: dict[str, int]) -> list[tuple[tuple, Hit]]:
    """The case whose id is `raw` in any of its usual cases (as typed, upper, lower: an IN list
    the unique index on id answers, where lower(id) would scan a million rows), within scope."""
    if not CASE_ID.match(raw):
        return []
    c = CASES.c
    query = select(c.id, c.lon, c.lat, c.address, c.address_en, c.department).where(
        c.id.in_(sorted({raw, raw.upper(), raw.lower()}))
    )
    if not scope.whole_park:
        query = query.where(c.department == scope.department)
    with get_services().engine.connect() as connection:
        rows = connection.execute(query.limit(3)).all()
    out = []
    for row in rows:
        located = all(isinstance(v, int | float) and math.isfinite(v) for v in (row.lon, row.lat))
        lon, lat = (float(row.lon), float(row.lat)) if located else (None, None)
        where = _in(lang, row.address, row.address_en)
        department = department_name(row.department, lang) if row.department else ""
        detail = _join(t("map_search.layer.case", lang), department, where)
        hit = Hit("case", row.id, row.id, detail, lon, lat, None, POINT_ZOOM)
        out.append(((0, len(row.id), order["case"], row.id, row.id), hit))
    return out


def search(q: str, scope: Scope, lang: str, limit: int = 10, *, with_cases: bool = False) -> list[Hit]:
    """Up to `limit` places whose name, English name, address (or grid cell id) contains `q` (case-insensitive,
    plain text: no pattern characters), best first: exact, then prefix, then substring matches,
    shorter names first, then by kind (KIND_ORDER). A part is found by its exact code only; a
    case by its exact id, within `scope`, and only `with_cases` (the caller may read records).
    A query under 2 characters (one CJK character will do) or over MAX_QUERY finds nothing.
    Reads snapshots (never raises for a source that is down: its last good data is searched)
    and, for a case id, the store."""
    raw = (q or "").strip()
    needle = raw.lower()
    if _too_short(raw) or len(raw) > MAX_QUERY or limit < 1:
        return []
    lang = "en" if lang == "en" else "zh"
    order = _kind_order(raw)
    index = _current_index()
    found = _feature_hits(index, needle, lang, order, limit) + _part_hit(index, needle, lang, order)
    if with_cases:
        found += _case_hits(raw, scope, lang, order)
    found.sort(key=lambda pair: pair[0])
    return [hit for _, hit in found[:limit]]
