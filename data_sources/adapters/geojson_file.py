"""GeoJsonFileSource: one thematic map layer read from a GeoJSON file (RFC 7946) as `features`.

The file may be a FeatureCollection, a single Feature or a bare geometry. What is wrong with the
file as a whole (not JSON, not a GeoJSON object, a broken FeatureCollection) refuses it with
SourceMisconfigured; what is wrong with one feature rejects that feature, with its position in
the file as its row, and keeps the others. Geometries are checked by the validator
(domain.geojson.geometry_problem); this module checks what only the file shows: members
that are duplicated or not allowed, ids and properties of the wrong type.

A feature's id is, in order: the property named by `id_property` (when set, a feature without
it is rejected), the feature's `id` member, else `<layer>-<position>` (stable while the file's
order is)."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from data_sources.adapters import decode, read_bytes, resolve_path
from data_sources.base import DataSource
from data_sources.errors import ContractError, SourceMisconfigured
from data_sources.monitor import PARSE_REJECTIONS
from data_sources.validation import KEY_SEPARATOR, Rejection, shorten
from domain.geojson import bbox_problem, json_type

GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
)
# RFC 7946 §7.1: members that define another kind of object must not appear in this one.
_NOT_IN_COLLECTION = ("coordinates", "geometries", "geometry", "properties")
_NOT_IN_FEATURE = ("coordinates", "geometries", "features")
# The reference systems that are WGS-84 longitude/latitude, as GeoJSON 2008's `crs` names them.
_WGS84_NAMES = frozenset(
    {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326"}
)


class GeoJsonFileOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str  # relative to the configuration's base_dir
    layer: str = Field(min_length=1, max_length=64)
    id_property: str | None = None  # a property that holds each feature's id


class _Problem(NamedTuple):
    """Why a feature is rejected: the field at fault, its value, the reason."""

    field: str
    value: Any
    reason: str


class _Members(dict[str, Any]):
    """A JSON object in which some member names appeared more than once (the last one won)."""

    duplicates: list[str]


def _loads(text: str) -> tuple[Any, bool]:
    """Parse JSON, noting objects with duplicate member names (RFC 8259 §4: their meaning is
    undefined, so the feature holding one is rejected). NaN and Infinity, which Python's own
    json writes but JSON does not have, are read as null: in properties that is what the
    writer meant, and in coordinates null fails the geometry check."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        obj = dict(items)
        if len(obj) == len(items):
            return obj
        found = True
        members = _Members(obj)
        names = [name for name, _ in items]
        members.duplicates = sorted({name for name in names if names.count(name) > 1})
        return members

    return json.loads(text, object_pairs_hook=pairs, parse_constant=lambda _: None), found


def _duplicates(value: Any) -> list[str]:
    if isinstance(value, _Members):
        return value.duplicates
    children: Iterator[Any] = iter(())
    if isinstance(value, dict):
        children = iter(value.values())
    elif isinstance(value, list):
        children = iter(value)
    for child in children:
        names = _duplicates(child)
        if names:
            return names
    return []


def _id_text(value: Any) -> str | None:
    """RFC 7946 §3.2: an id is a string or a number; ours are text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


class GeoJsonFileSource(DataSource):
    """A GeoJSON file as one layer of the `features` contract. Reads the file on each fetch."""

    kind = "geojson"
    contracts = frozenset({"features"})
    Options = GeoJsonFileOptions
    options: GeoJsonFileOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        self._where = f"source {name!r} (geojson)"

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """The layer's features, indexed by their position in the file. Raises SourceUnavailable
        when the file is not there, SourceMisconfigured when it is not GeoJSON as a whole."""
        if contract not in self.contracts:
            raise ContractError(f"{self._where} provides 'features', not {contract!r}")
        document, ambiguous = self._load()
        features = self._features(document)
        rows: list[dict[str, Any]] = []
        index: list[int] = []
        rejections: list[Rejection] = []
        for position, feature in enumerate(features):
            row = self._row(position, feature, ambiguous)
            if isinstance(row, _Problem):
                ident = _id_text(feature.get("id")) if isinstance(feature, dict) else None
                # the contract's key is (layer, id); the validator's rejections show it so too
                key = None if ident is None else f"{self.options.layer}{KEY_SEPARATOR}{ident}"
                value = shorten(row.value)
                rejections.append(
                    Rejection(self.name, "features", position, key, row.field, value, row.reason)
                )
            else:
                rows.append(row)
                index.append(position)
        frame = pd.DataFrame(
            rows, columns=["layer", "id", "geometry", "properties"], index=pd.Index(index, dtype="int64")
        )
        frame.attrs[PARSE_REJECTIONS] = rejections
        return frame

    def _load(self) -> tuple[Any, bool]:
        path = resolve_path(self.options.path, self.base_dir)
        data = read_bytes(path, self._where)
        # RFC 7946 §11 and RFC 8259 §8.1: UTF-8; a byte-order mark is tolerated
        text = decode(
            data.removeprefix(codecs.BOM_UTF8), "UTF-8", f"{self._where}: {path}", hint="RFC 7946 §11"
        )
        try:
            return _loads(text)
        except json.JSONDecodeError as exc:
            raise SourceMisconfigured(
                f"{self._where}: {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise SourceMisconfigured(f"{self._where}: {path} nests JSON too deeply to read") from None

    def _refuse(self, why: str) -> SourceMisconfigured:
        return SourceMisconfigured(f"{self._where}: {self.options.path} is not a GeoJSON layer: {why}")

    def _features(self, document: Any) -> list[Any]:
        """The features of the file; raise SourceMisconfigured for what spoils the whole file."""
        if not isinstance(document, dict):
            raise self._refuse(f"its root must be a JSON object, not {json_type(document)} (RFC 7946 §2)")
        if isinstance(document, _Members):
            raise self._refuse(f"its root object has the member {document.duplicates[0]!r} more than once")
        kind = document.get("type")
        if not isinstance(kind, str):
            problem = "has no 'type' member" if "type" not in document else f"'type' is {json_type(kind)}"
            raise self._refuse(f"its root object {problem} (RFC 7946 §3)")
        self._check_crs(document.get("crs"))
        if kind == "FeatureCollection":
            features = document.get("features")
            if not isinstance(features, list):
                problem = (
                    "has no 'features' member" if "features" not in document else "'features' is not an array"
                )
                raise self._refuse(f"the FeatureCollection {problem} (RFC 7946 §3.3)")
            for member in _NOT_IN_COLLECTION:
                if member in document:
                    raise self._refuse(
                        f"a FeatureCollection must not contain a {member!r} member (RFC 7946 §7.1)"
                    )
            if "bbox" in document and (bad_bbox := bbox_problem(document["bbox"])):
                raise self._refuse(f"the FeatureCollection's {bad_bbox}")
            return features
        if kind == "Feature":
            return [document]
        if kind in GEOMETRY_TYPES:
            return [{"type": "Feature", "geometry": document, "properties": None}]
        known = {t.lower(): t for t in (*GEOMETRY_TYPES, "Feature", "FeatureCollection")}
        hint = f" (types are case-sensitive: {known[kind.lower()]!r})" if kind.lower() in known else ""
        raise self._refuse(f"unknown GeoJSON type {kind!r}{hint}")

    def _check_crs(self, crs: Any) -> None:
        # RFC 7946 §4 removed `crs`: coordinates are WGS-84. GDAL and QGIS still write the member
        # when they export a projected layer (CGCS2000 Gauss-Krüger metres, say), which would
        # otherwise be drawn nowhere on the map without a word.
        if crs is None:
            return
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if not (isinstance(name, str) and name in _WGS84_NAMES):
            raise self._refuse(
                f"its 'crs' member names {shorten(name if name is not None else crs)}, not WGS-84 "
                "longitude/latitude (RFC 7946 §4); reproject it to EPSG:4326"
            )

    def _row(self, position: int, feature: Any, ambiguous: bool) -> dict[str, Any] | _Problem:
        """The feature as a row, or why it is rejected."""
        if not isinstance(feature, dict):
            return _Problem(
                "(feature)", feature, f"a feature must be a JSON object, not {json_type(feature)}"
            )
        if feature.get("type") != "Feature":
            return _Problem("type", feature.get("type"), "a feature's type must be 'Feature' (RFC 7946 §3.2)")
        if ambiguous and (names := _duplicates(feature)):
            return _Problem(
                "(feature)",
                names[0],
                f"the member {names[0]!r} appears more than once, so its value is ambiguous",
            )
        for member in _NOT_IN_FEATURE:
            if member in feature:
                return _Problem(
                    member, feature[member], f"a Feature must not contain a {member!r} member (RFC 7946 §7.1)"
                )
        if "bbox" in feature and (problem := bbox_problem(feature["bbox"])):
            return _Problem("bbox", feature["bbox"], problem)
        properties = feature.get("properties")
        if properties is not None and not isinstance(properties, dict):
            return _Problem(
                "properties",
                properties,
                f"properties must be an object or null, not {json_type(properties)}",
            )
        geometry = feature.get("geometry")
        if geometry is not None and not isinstance(geometry, dict):
            return _Problem(
                "geometry", geometry, f"geometry must be an object or null, not {json_type(geometry)}"
            )
        if self.options.id_property is not None:
            raw = (properties or {}).get(self.options.id_property)
            ident = _id_text(raw)
            if ident is None:
                reason = f"the id property {self.options.id_property!r} must be a string or number, not {json_type(raw)}"
                return _Problem("id", raw, reason)
        elif "id" in feature:
            ident = _id_text(feature["id"])
            if ident is None:
                reason = f"a feature's id must be a string or number, not {json_type(feature['id'])} (RFC 7946 §3.2)"
                return _Problem("id", feature["id"], reason)
        else:
            ident = f"{self.options.layer}-{position}"
        return {"layer": self.options.layer, "id": ident, "geometry": geometry, "properties": properties}
