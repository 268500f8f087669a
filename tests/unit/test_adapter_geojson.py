"""GeoJsonFileSource on every file of mapbox/geojsonhint's test data (tests/fixtures/geojson, with
the validator's own messages in the .result files) and on the cases the files do not cover."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_sources.adapters.geojson_file import GeoJsonFileSource
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from data_sources.monitor import PARSE_REJECTIONS, SourceMonitor

GEOJSON = Path(__file__).resolve().parent.parent / "fixtures" / "geojson"
GOOD = sorted((GEOJSON / "good").glob("*.geojson"))
BAD = sorted((GEOJSON / "bad").glob("*.geojson"))

REFUSED = "whole file refused"
ACCEPTED = "accepted"

# What the adapter does with each faulty file: refuse it whole (it is not a GeoJSON layer), or
# reject the features at fault with a reason (a substring of it here) and keep the others.
# A few files geojsonhint complains about are valid RFC 7946 and are accepted; why is noted.
EXPECTED_BAD: dict[str, str] = {
    "bad-duplicate-properties.geojson": f"{REFUSED}: its root object has the member 'type' more than once",
    "bad-featurelist.geojson": "feature rejected: coordinates[0] must be an array",
    "bad-json.geojson": f"{REFUSED}: is not valid JSON: Expecting ',' delimiter at line 3",
    "bad-object-type.geojson": f"{REFUSED}: its root object 'type' is an object",
    "bad-polygon-interiorring-rhr.geojson": f"{ACCEPTED}: ring winding is a writer's SHOULD (RFC 7946 §3.1.6)",
    "bad-polygonloop.geojson": "feature rejected: coordinates[0][0] is not a position",
    "bad-properties-as-array.geojson": "feature rejected: properties must be an object or null, not an array",
    "badcoord.geojson": "feature rejected: coordinates is not a position",
    "badcoordtype.geojson": "feature rejected: coordinates[0][0][0] is not a position",
    "badfeature.geojson": "feature rejected: a feature must be a JSON object, not null",
    "badfeatureid.geojson": "feature rejected: a feature's id must be a string or number, not an object",
    "bbox-4or6elements.geojson": "feature rejected: bbox must have 4 (2D) or 6 (3D) numbers, not 3",
    "bbox-contains-string.geojson": "feature rejected: every element of bbox must be a finite number",
    "bbox-string.geojson": "feature rejected: bbox must be an array of numbers, not a string",
    "different-first-last.geojson": "feature rejected: first and last positions must be equal",
    "different-first-size.geojson": "feature rejected: polygon 1 ring 0: a linear ring's first and last positions",
    "excessive_precision_truncated.geojson": f"{ACCEPTED}: its .result is empty; nothing is wrong",
    "expected_object.geojson": "feature rejected: properties must be an object or null, not a number",
    "false.geojson": "feature rejected: geometries[0]: geometry must be a JSON object",
    "feature_changed_semantics.geojson": "feature rejected: a Feature must not contain a",
    "featurecollection-obj.geojson": f"{REFUSED}: the FeatureCollection 'features' is not an array",
    "featurecollection-type-case.geojson": f"{REFUSED}: types are case-sensitive: 'FeatureCollection'",
    "featurecollection.geojson": f"{REFUSED}: the FeatureCollection has no 'features' member",
    "featurecollection_changed_semantics.geojson": f"{REFUSED}: a FeatureCollection must not contain a",
    "geometry_changed_semantics.geojson": "feature rejected: a geometry must not contain a 'geometry' member",
    "geometrycollection_nested.geojson": f"{ACCEPTED}: 'SHOULD avoid' nesting is for writers (RFC 7946 §3.1.8)",
    "geometrycollection_single.geojson": f"{ACCEPTED}: 'SHOULD avoid' one part is for writers (RFC 7946 §3.1.8)",
    "multiple_problems.geojson": "feature rejected: a feature's id must be a string or number",
    "multipoint-multidimension.geojson": "feature rejected: coordinates[0] is not a position",
    "multipoint-nondimension.geojson": "feature rejected: coordinates[0] is not a position",
    "nofeaturetype.geojson": "feature rejected: a feature's type must be 'Feature'",
    "notype.geojson": f"{REFUSED}: its root object has no 'type' member",
    "point-labeled-as-a-multipolygon.geojson": "feature rejected: coordinates[0] must be an array",
    "point-string.geojson": "feature rejected: coordinates is not a position",
    "point-toofew.geojson": "feature rejected: coordinates is not a position",
    "point-toomany.geojson": f"{ACCEPTED}: readers may ignore a fourth element (RFC 7946 §3.1.1)",
    "point.geojson": "feature rejected: Point has no 'coordinates'",
    "polygon_winding_order.geojson": f"{ACCEPTED}: ring winding is a writer's SHOULD (RFC 7946 §3.1.6)",
    "rootstring.geojson": f"{REFUSED}: its root must be a JSON object, not null",
    "short-line.geojson": "feature rejected: a LineString needs at least 2 positions",
    "short-linearring.geojson": "feature rejected: a linear ring needs at least 4 positions",
    "short-multilinestring.geojson": "feature rejected: coordinates[1]: a LineString needs at least 2 positions",
    "stringcoord.geojson": "feature rejected: coordinates is not a position",
    "unknowntype.geojson": f"{REFUSED}: unknown GeoJSON type 'FooBar'",
}

# Files with several features, bad and good: which positions are rejected; the rest are kept.
REJECTED_POSITIONS = {"multiple_problems.geojson": [0, 2, 3], "stringcoord.geojson": [0]}

# geojsonhint's number-id .result has no .geojson; a number id is valid RFC 7946 (§3.2), and
# good/good-feature-with-id.geojson shows we accept it.
RESULT_WITHOUT_FILE = {"bad-feature-with-number-id.result"}

# The features contract requires a geometry, so an unlocated feature (RFC 7946 §3.2 allows
# "geometry": null) is rejected there, not by the adapter: the file itself is read.
GOOD_BUT_UNLOCATED = {"nullgeometry.geojson"}


def read(path: Path, **options):
    """What the monitor serves and records for a GeoJSON source on `path`."""
    book = HealthBook()
    source = GeoJsonFileSource("layer-test", {"path": str(path), "layer": "parts", **options})
    snapshot = SourceMonitor(source, book).read("features")
    return snapshot, book.recent_rejections("layer-test")


def test_every_bad_file_has_an_expectation():
    assert {p.name for p in BAD} == set(EXPECTED_BAD)
    results = {p.name for p in (GEOJSON / "bad").glob("*.result")}
    assert {p.with_suffix(".result").name for p in BAD} | RESULT_WITHOUT_FILE == results


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_every_good_file_is_read_whole(path):
    frame = GeoJsonFileSource("s", {"path": str(path), "layer": "parts"}).fetch("features")
    assert frame.attrs[PARSE_REJECTIONS] == []
    assert len(frame) >= 1
    snapshot, rejections = read(path)
    if path.name in GOOD_BUT_UNLOCATED:
        assert [(r.field, r.reason) for r in rejections] == [("geometry", "required value is missing")]
    else:
        assert [r.message for r in rejections] == []
        assert len(snapshot.frame) == len(frame)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_every_bad_file_gets_its_expected_outcome(path):
    expected = EXPECTED_BAD[path.name]
    outcome, _, detail = expected.partition(": ")
    if outcome == REFUSED:
        source = GeoJsonFileSource("layer-test", {"path": str(path), "layer": "parts"})
        with pytest.raises(SourceMisconfigured) as refused:
            source.fetch("features")
        snapshot, _ = read(path)  # the monitor marks the source down with the reason at once
        assert snapshot.health.status == "down" and detail in (snapshot.health.last_error or "")
        assert detail in str(refused.value)
        return
    snapshot, rejections = read(path)
    if outcome == ACCEPTED:
        assert [r.message for r in rejections] == []
        assert len(snapshot.frame) == 1
        return
    assert outcome == "feature rejected"
    assert rejections, "expected a rejection"
    assert detail in rejections[0].reason
    rejected = sorted({r.row for r in rejections})
    assert rejected == REJECTED_POSITIONS.get(path.name, [0])
    document = json.loads(path.read_text())
    count = len(document["features"]) if document["type"] == "FeatureCollection" else 1
    assert len(snapshot.frame) == count - len(rejected)
    assert snapshot.health.status == "degraded"


def test_a_feature_collection_keeps_its_good_features_around_bad_ones(tmp_path):
    point = {"type": "Point", "coordinates": [114.6, 38.04]}
    features = [
        {"type": "Feature", "id": "A", "geometry": point, "properties": {"名称": "井盖"}},
        {"type": "Feature", "id": "B", "geometry": point, "properties": []},
        {"type": "Feature", "id": "C", "geometry": {"type": "Point", "coordinates": [1]}, "properties": None},
        {"type": "Feature", "id": "D", "geometry": point, "properties": {"名称": "路灯"}},
    ]
    path = tmp_path / "parts.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8"
    )
    snapshot, rejections = read(path)
    assert list(snapshot.frame["id"]) == ["A", "D"]
    assert list(snapshot.frame["properties"]) == [{"名称": "井盖"}, {"名称": "路灯"}]
    # the adapter's rejections and the validator's both name the feature's position in the file
    # and its key as the contract has it, (layer, id)
    assert [(r.row, r.key, r.field) for r in rejections] == [
        (1, "parts/B", "properties"),
        (2, "parts/C", "geometry"),
    ]
    assert snapshot.health.rows_rejected == 2 and snapshot.health.rows_accepted == 2


def test_frame_has_the_layer_the_geometry_and_the_properties():
    frame = GeoJsonFileSource(
        "s", {"path": str(GEOJSON / "good" / "good-feature.geojson"), "layer": "井盖"}
    ).fetch("features")
    row = frame.iloc[0]
    assert row["layer"] == "井盖"
    assert row["geometry"] == {"type": "Point", "coordinates": [102.0, 0.5]}
    assert row["properties"] == {"prop0": "value0"}


def ids_of(path: Path, **options) -> list[str]:
    return list(
        GeoJsonFileSource("s", {"path": str(path), "layer": "parts", **options}).fetch("features")["id"]
    )


def test_ids_come_from_the_feature_number_or_string():
    assert ids_of(GEOJSON / "good" / "good-feature-with-id.geojson") == ["100"]
    assert ids_of(GEOJSON / "good" / "good-feature-with-string-id.geojson") == ["myfeature"]


def test_ids_are_generated_from_layer_and_position_when_absent():
    assert ids_of(GEOJSON / "good" / "good-featurecollection.geojson") == ["parts-0", "parts-1", "parts-2"]
    assert ids_of(GEOJSON / "good" / "good-point.geojson") == ["parts-0"]
    # stable: the same file read again gives the same ids
    assert ids_of(GEOJSON / "good" / "good-featurecollection.geojson") == ["parts-0", "parts-1", "parts-2"]


def test_id_property_names_the_id(tmp_path):
    features = [
        {"type": "Feature", "id": "ignored", "geometry": None, "properties": {"部件编码": "130102-0001"}},
        {"type": "Feature", "geometry": None, "properties": {"部件编码": 2}},
        {"type": "Feature", "geometry": None, "properties": {"其他": "x"}},
        {"type": "Feature", "geometry": None, "properties": None},
    ]
    path = tmp_path / "parts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    frame = GeoJsonFileSource("s", {"path": str(path), "layer": "parts", "id_property": "部件编码"}).fetch(
        "features"
    )
    assert list(frame["id"]) == ["130102-0001", "2"]
    assert [(r.row, r.field, r.reason) for r in frame.attrs[PARSE_REJECTIONS]] == [
        (2, "id", "the id property '部件编码' must be a string or number, not null"),
        (3, "id", "the id property '部件编码' must be a string or number, not null"),
    ]


def test_a_boolean_id_is_rejected(tmp_path):
    path = tmp_path / "f.geojson"
    path.write_text('{"type": "Feature", "id": true, "geometry": null, "properties": null}')
    (rejection,) = (
        GeoJsonFileSource("s", {"path": str(path), "layer": "l"}).fetch("features").attrs[PARSE_REJECTIONS]
    )
    assert rejection.reason.startswith("a feature's id must be a string or number, not a boolean")


def test_duplicate_members_inside_a_feature_reject_only_that_feature(tmp_path):
    path = tmp_path / "dup.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"a": 1, "a": 2}},'
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"a": 1}}'
        "]}"
    )
    frame = GeoJsonFileSource("s", {"path": str(path), "layer": "l"}).fetch("features")
    assert list(frame.index) == [1]
    (rejection,) = frame.attrs[PARSE_REJECTIONS]
    assert (rejection.row, rejection.value) == (0, "'a'")
    assert "appears more than once" in rejection.reason


def test_nan_is_read_as_null_so_properties_keep_and_coordinates_fail(tmp_path):
    path = tmp_path / "nan.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"v": NaN}},'
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [NaN, 2]}, "properties": {}}'
        "]}"
    )
    snapshot, rejections = read(path)
    assert list(snapshot.frame["properties"]) == [{"v": None}]
    assert [(r.row, r.field) for r in rejections] == [(1, "geometry")]


def test_a_named_projected_crs_is_refused_and_wgs84_accepted(tmp_path):
    def with_crs(name: str) -> Path:
        path = tmp_path / f"crs-{len(name)}.geojson"
        crs = {"type": "name", "properties": {"name": name}}
        point = {"type": "Point", "coordinates": [38_500_000.0, 4_210_000.0]}
        path.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": [
            {"type": "Feature", "geometry": point, "properties": {}}]}))  # fmt: skip
        return path

    with pytest.raises(SourceMisconfigured, match="EPSG::4526.*reproject"):
        GeoJsonFileSource("s", {"path": str(with_crs("urn:ogc:def:crs:EPSG::4526")), "layer": "l"}).fetch(
            "features"
        )
    frame = GeoJsonFileSource("s", {"path": str(with_crs("urn:ogc:def:crs:OGC:1.3:CRS84")), "layer": "l"})
    assert len(frame.fetch("features")) == 1


def test_a_byte_order_mark_is_tolerated_and_other_encodings_refused(tmp_path):
    path = tmp_path / "bom.geojson"
    path.write_bytes(b"\xef\xbb\xbf" + (GEOJSON / "good" / "good-point.geojson").read_bytes())
    assert len(GeoJsonFileSource("s", {"path": str(path), "layer": "l"}).fetch("features")) == 1
    gbk = tmp_path / "gbk.geojson"
    gbk.write_bytes('{"type": "Feature", "geometry": null, "properties": {"名称": "井盖"}}'.encode("gb18030"))
    with pytest.raises(SourceMisconfigured, match="not UTF-8"):
        GeoJsonFileSource("s", {"path": str(gbk), "layer": "l"}).fetch("features")


def test_missing_file_is_unavailable_and_a_folder_misconfigured(tmp_path):
    with pytest.raises(SourceUnavailable, match="no such file"):
        GeoJsonFileSource("s", {"path": "gone.geojson", "layer": "l"}, base_dir=str(tmp_path)).fetch(
            "features"
        )
    with pytest.raises(SourceMisconfigured, match="is a folder"):
        GeoJsonFileSource("s", {"path": str(tmp_path), "layer": "l"}).fetch("features")


def test_relative_paths_resolve_against_base_dir():
    source = GeoJsonFileSource("s", {"path": "good/good-point.geojson", "layer": "l"}, base_dir=str(GEOJSON))
    assert len(source.fetch("features")) == 1


@pytest.mark.parametrize(
    ("options", "key"),
    [({"path": "x"}, "layer"), ({"path": "x", "layer": ""}, "layer"), ({"layer": "l"}, "path"),
     ({"path": "x", "layer": "l" * 65}, "layer")],
)  # fmt: skip
def test_bad_options_are_refused_naming_the_key(options, key):
    with pytest.raises(SourceMisconfigured, match=rf"\b{key}\b"):
        GeoJsonFileSource("s", options)


def test_it_provides_only_features():
    source = GeoJsonFileSource("s", {"path": "x", "layer": "l"})
    with pytest.raises(ContractError, match="cases"):
        source.fetch("cases")
