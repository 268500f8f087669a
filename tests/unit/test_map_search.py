"""The map's search box: streets, addresses, points of interest, enterprises, grid cells, city
parts (by code) and cases (by id, within the caller's scope) found by name in Chinese or
English, best match first, with where to fly; bad or odd queries answer nothing, never an error."""

from __future__ import annotations

import pytest
from apps import build_app
from signin import signed_in
from sqlalchemy import select

from domain.geojson import bounds
from security.scope import WHOLE_PARK, Scope
from services.map_search import POINT_ZOOM, search
from store.models import Case

OWN = "urban_management"  # the demo department head's department
METACHARACTERS = ["%%", "__", "' OR '1'='1", '"";--', "\\\\", ".*", "[a-z]+", "%_'\"\\.*"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("map-search"), demo_cases=300)


@pytest.fixture(scope="module")
def features(app):
    with app.server.app_context():
        from services.data import snapshot

        return snapshot("features").frame


def _feature(features, layer, **props):
    rows = features[features["layer"] == layer]
    for fid, geometry, properties in zip(rows["id"], rows["geometry"], rows["properties"], strict=True):
        if all(properties.get(k) == v for k, v in props.items()):
            return fid, geometry, properties
    raise AssertionError(f"no {layer} with {props}")


def _search(app, q, lang="zh", scope=WHOLE_PARK, **kw):
    with app.server.app_context():
        return search(q, scope, lang, **kw)


def _case_of(app, department=None, other_than=None):
    query = select(Case.id, Case.department).where(Case.lon.is_not(None))
    if department:
        query = query.where(Case.department == department)
    if other_than:
        query = query.where(Case.department != other_than)
    with app.server.extensions["onescreen"].engine.connect() as connection:
        return connection.execute(query.limit(1)).one()


def test_a_street_is_found_by_its_chinese_name_and_fitted_to_its_bounds(app, features):
    fid, geometry, _ = _feature(features, "street", name="抱犊街")
    hit = _search(app, "抱犊街")[0]
    assert (hit.kind, hit.id, hit.label) == ("street", fid, "抱犊街")
    assert hit.bbox == pytest.approx(bounds(geometry))
    assert hit.lon == pytest.approx((hit.bbox[0] + hit.bbox[2]) / 2)
    assert 10 <= hit.zoom < POINT_ZOOM  # a 3.5 km street is not shown at house level


def test_a_street_is_found_by_its_english_name_whatever_the_case(app, features):
    fid, _, _ = _feature(features, "street", name="抱犊街")
    hit = _search(app, "baodu STREET", lang="en")[0]
    assert (hit.kind, hit.id, hit.label) == ("street", fid, "Baodu Street")


def test_a_house_number_is_found_as_an_address_in_either_language(app, features):
    fid, geometry, _ = _feature(features, "house_number", name="抱犊街64号")
    for q, lang, label, street in (("抱犊街64号", "zh", "抱犊街64号", "抱犊街"), ("64 baodu street", "en", "64 Baodu Street", "Baodu Street")):  # fmt: skip
        hit = _search(app, q, lang=lang)[0]
        assert (hit.kind, hit.id, hit.label) == ("address", fid, label)
        assert street in hit.detail
        assert (hit.lon, hit.lat, hit.bbox, hit.zoom) == (*geometry["coordinates"], None, POINT_ZOOM)


def test_a_point_of_interest_is_found_by_part_of_its_name_with_its_category(app, features):
    fid, geometry, props = _feature(features, "poi", name="老耿家缸炉烧饼")
    hit = _search(app, "耿家缸炉")[0]
    assert (hit.kind, hit.id, hit.label) == ("poi", fid, "老耿家缸炉烧饼")
    assert hit.detail.startswith(props["category_name"]) and props["address"] in hit.detail
    assert [hit.lon, hit.lat] == geometry["coordinates"]
    assert _search(app, "geng's oven", lang="en")[0].label == "Lao Geng's Oven-Baked Flatbread"


def test_an_enterprise_is_found_by_its_chinese_name(app):
    with app.server.app_context():
        from services.data import snapshot

        enterprise = snapshot("enterprises").frame.iloc[0]
    hit = _search(app, enterprise["name"])[0]
    assert (hit.kind, hit.id, hit.label) == ("enterprise", enterprise["id"], enterprise["name"])
    assert (hit.lon, hit.lat) == pytest.approx((enterprise["lon"], enterprise["lat"]))


def test_a_grid_cell_is_found_by_its_id(app):
    hit = _search(app, "u288", lang="en")[0]
    assert (hit.kind, hit.id) == ("grid_cell", "U288")
    assert hit.bbox is not None


def test_a_city_part_is_found_by_its_exact_code_only(app, features):
    fid, geometry, props = _feature(features, "part")
    hits = _search(app, props["code"])
    assert [(h.kind, h.id) for h in hits] == [("part", fid)]
    assert [hits[0].lon, hits[0].lat] == geometry["coordinates"]
    assert _search(app, props["code"][:-1]) == []  # a prefix of a code is no code
    assert all(h.kind != "part" for h in _search(app, props["name"]))  # never by its class name


def test_an_exact_name_comes_before_names_that_start_with_it_or_contain_it(app, features):
    fid, _, _ = _feature(features, "area", name="紫薇雅苑")
    hits = _search(app, "紫薇雅苑", limit=50)
    assert (hits[0].kind, hits[0].id) == ("area", fid)
    assert len(hits) > 1 and all(h.label.startswith("紫薇雅苑") for h in hits[1:])
    ziwei = _search(app, "ziwei", lang="en", limit=50)
    starts = [h.label.lower().startswith("ziwei") for h in ziwei]
    assert True in starts and False in starts
    assert starts == sorted(starts, reverse=True)  # every prefix match before any substring match
    prefixed = [len(h.label) for h in ziwei if h.label.lower().startswith("ziwei")]
    assert prefixed == sorted(prefixed)  # shorter names first


def test_a_case_id_is_found_by_a_leader_and_not_by_another_departments_head(app):
    case = _case_of(app, other_than=OWN)
    hits = _search(app, case.id, with_cases=True)
    assert [(h.kind, h.id) for h in hits] == [("case", case.id)]
    assert hits[0].lon is not None and hits[0].zoom == POINT_ZOOM
    assert _search(app, case.id, scope=Scope(OWN), with_cases=True) == []
    assert _search(app, case.id, scope=Scope(case.department), with_cases=True)[0].id == case.id
    assert _search(app, case.id) == []  # a caller who may not read records finds no case


def test_the_api_gives_case_hits_only_within_the_callers_scope(app):
    other, own = _case_of(app, other_than=OWN), _case_of(app, department=OWN)
    leader, head, viewer = (signed_in(app, role)[0] for role in ("leader", "department_head", "viewer"))

    def kinds(client, q):
        response = client.get("/api/v1/map/search", query_string={"q": q})
        assert response.status_code == 200
        return [(h["kind"], h["id"]) for h in response.get_json()["hits"]]

    assert kinds(leader, other.id) == [("case", other.id)]
    assert kinds(head, other.id) == []
    assert kinds(head, own.id) == [("case", own.id)]
    assert kinds(viewer, own.id) == []  # screens only: places, no records


def test_the_api_answers_in_the_language_asked_for_with_the_limit(app):
    viewer = signed_in(app, "viewer")[0]
    body = viewer.get("/api/v1/map/search?q=Baodu&lang=en&limit=3").get_json()
    assert len(body["hits"]) == 3 and body["hits"][0]["label"] == "Baodu Street"
    assert set(body["hits"][0]) == {"kind", "id", "label", "detail", "lon", "lat", "bbox", "zoom"}
    assert viewer.get("/api/v1/map/search?q=抱犊街&lang=zh").get_json()["hits"][0]["label"] == "抱犊街"


@pytest.mark.parametrize(
    "query",
    ["q=" + "x" * 101, "q=Baodu&limit=0", "q=Baodu&limit=51", "q=Baodu&lang=fr", "limit=5", "q=", "q=a&q=b"],
)
def test_the_api_refuses_bad_input_with_422(app, query):
    viewer = signed_in(app, "viewer")[0]
    response = viewer.get(f"/api/v1/map/search?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid request"


@pytest.mark.parametrize("q", ["1", "a", " 7 ", "", "   "])
def test_a_query_under_two_characters_finds_nothing(app, q):
    assert _search(app, q, with_cases=True) == []


def test_one_chinese_character_is_query_enough(app):
    hits = _search(app, "楼", limit=5)
    assert len(hits) == 5 and all("楼" in h.label for h in hits)


@pytest.mark.parametrize("q", METACHARACTERS)
def test_pattern_and_quote_characters_are_plain_text(app, q):
    # no name in the demo park holds these characters: as patterns, they would match many
    assert _search(app, q, lang="en", with_cases=True) == []
    leader = signed_in(app, "leader")[0]
    response = leader.get("/api/v1/map/search", query_string={"q": q})
    assert response.status_code == 200 and response.get_json()["hits"] == []
