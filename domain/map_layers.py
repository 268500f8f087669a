"""The one map's layer catalogue (config/map_layers.yaml): what each layer draws, from where, and
which features it accepts. Parsing refuses a malformed entry with a message naming it (start-up
stops on it); `feature_problem` says why one feature cannot be drawn by its layer (a broken
geometry, a type the layer does not draw, a position outside longitude/latitude), so a bad
feature is refused with its reason and the rest of its layer still draws."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.geojson import geometry_problem

Draw = Literal["area", "line", "point", "cluster", "choropleth", "heat"]
GeometryType = Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]
# The contracts with locations a layer may draw, each through its own query in services/.
LOCATED = ("cases", "sensors", "alerts", "enterprises", "hotspots")
MEASURES = ("open_cases", "overdue_cases")
# What each drawing shows: a point drawing of polygons would have nothing to put on the map.
DRAWS_TYPES: dict[str, frozenset[str]] = {
    "area": frozenset({"Polygon", "MultiPolygon"}),
    "choropleth": frozenset({"Polygon", "MultiPolygon"}),
    "heat": frozenset({"Polygon"}),
    "line": frozenset({"LineString", "MultiLineString"}),
    "point": frozenset({"Point", "MultiPoint"}),
    "cluster": frozenset({"Point"}),  # the clustering groups single points
}


class LayerSpecError(ValueError):
    """A malformed layer entry; the message names the layer and the key at fault."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_Strict):
    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=60)


class From(_Strict):
    """Exactly one of: a features layer, a named source, a contract with locations."""

    features: str | None = Field(None, min_length=1, max_length=64)
    source: str | None = Field(None, min_length=1, max_length=64)
    contract: Literal["cases", "sensors", "alerts", "enterprises", "hotspots"] | None = None

    @model_validator(mode="after")
    def _one(self) -> From:
        given = [k for k in ("features", "source", "contract") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"name exactly one of features, source, contract (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return "features" if self.features else "source" if self.source else "contract"


class Classes(_Strict):
    by: str = Field(min_length=1, max_length=64)  # the property whose value colours a feature
    zh: str | None = None  # the property naming the value in Chinese (default: the value itself)
    en: str | None = None


class LayerSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: Title
    source: From = Field(alias="from")
    draw: Draw
    geometry: tuple[GeometryType, ...] = Field(min_length=1)
    group: Literal["base", "theme"] = "theme"
    shown: bool = False
    classes: Classes | None = None
    keep: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    measure: Literal["open_cases", "overdue_cases"] | None = None
    heat_m: float | None = Field(None, ge=20, le=2000)
    min_zoom: int | None = Field(None, ge=0, le=22)
    # another layer draws this source's features of other types (a park's parts are points and
    # lines): they are left to it, not refused
    others_elsewhere: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> LayerSpec:
        drawable = DRAWS_TYPES[self.draw]
        odd = [g for g in self.geometry if g not in drawable]
        if odd:
            raise ValueError(
                f"draw {self.draw} cannot draw {', '.join(odd)} (it draws {', '.join(sorted(drawable))})"
            )
        if (self.draw == "choropleth") != (self.measure is not None):
            raise ValueError("a choropleth needs a measure, and only a choropleth has one")
        if self.draw == "heat" and (self.source.contract != "cases" or self.heat_m is None):
            raise ValueError("a heat layer draws cases (from: {contract: cases}) in squares of heat_m metres")
        if self.draw == "choropleth" and self.source.kind == "contract":
            raise ValueError(
                "a choropleth colours areas: its features come from a features layer or a source"
            )
        if self.source.kind == "contract" and (self.keep or self.classes):
            raise ValueError(
                "a contract's layer carries its own properties and classes: drop keep and classes"
            )
        return self

    def name(self, lang: str) -> str:
        return self.title.zh if lang == "zh" else self.title.en

    @property
    def single_records(self) -> bool:
        """Whether it draws single records (each case's point, the hot spots' case ids), which
        need read_records; the other layers are screens' figures."""
        return self.source.contract == "hotspots" or (self.source.contract == "cases" and self.draw != "heat")

    @property
    def carried(self) -> tuple[str, ...]:
        """The properties the map carries for each feature: those kept. Colouring travels as `k`
        (the legend names each class once), filters are applied where the layer is computed, and
        the side panel reads every property of the one feature clicked."""
        return tuple(dict.fromkeys(self.keep))


def _where(error: ValidationError) -> str:
    first = error.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "entry"
    return f"{path}: {first['msg']}"


def parse_layers(data: Any) -> tuple[LayerSpec, ...]:
    """The catalogue's layers in drawing order; LayerSpecError naming the first malformed one."""
    if not isinstance(data, dict) or not isinstance(data.get("layers"), dict) or not data["layers"]:
        raise LayerSpecError("the map layer file needs a non-empty `layers:` mapping of id → layer")
    out = []
    for layer_id, raw in data["layers"].items():
        if not isinstance(raw, dict):
            raise LayerSpecError(
                f"map layer {layer_id!r}: an entry is a mapping of keys, not {type(raw).__name__}"
            )
        try:
            out.append(LayerSpec.model_validate({**raw, "id": layer_id}))
        except ValidationError as exc:
            raise LayerSpecError(f"map layer {layer_id!r}: {_where(exc)}") from None
    return tuple(out)


def check_sources(specs: tuple[LayerSpec, ...], sources: set[str]) -> None:
    """A layer naming a source that sources.yaml does not define stops start-up too."""
    for spec in specs:
        if spec.source.source is not None and spec.source.source not in sources:
            raise LayerSpecError(
                f"map layer {spec.id!r}: from.source {spec.source.source!r} is not a source of sources.yaml"
            )


def _positions(coordinates: Any):
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
        return
    for part in coordinates:
        yield from _positions(part)


def out_of_range(geometry: dict[str, Any]) -> list[float] | None:
    """The first position outside longitude [-180, 180] / latitude [-90, 90] (a file in a
    projected system, or its axes swapped), else None. The geometry must be well-formed."""
    if geometry["type"] == "GeometryCollection":
        for part in geometry["geometries"]:
            found = out_of_range(part)
            if found:
                return found
        return None
    for position in _positions(geometry["coordinates"]):
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            return list(position[:2])
    return None


def feature_problem(geometry: Any, expected: tuple[str, ...]) -> str | None:
    """Why a feature with `geometry` cannot be drawn by a layer drawing `expected` types."""
    if geometry is None:
        return "it has no geometry (null): nothing to draw"
    broken = geometry_problem(geometry)
    if broken:
        return broken
    if geometry["type"] not in expected:  # (callers skip the types another layer draws)
        return f"a {geometry['type']} where this layer draws {', '.join(expected)}"
    far = out_of_range(geometry)
    if far is not None:
        return (
            f"position {far} is outside longitude -180..180 / latitude -90..90 "
            "(projected coordinates, or longitude and latitude swapped?)"
        )
    return None
