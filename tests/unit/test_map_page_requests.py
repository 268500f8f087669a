"""The map page over HTTP as the browser's renderer calls it, with what a tampered address or
request may send: the view drawn from a shared address (unknown layers, filters and ranges
dropped; a broken centre or zoom gives the park's middle), the layer list for a custom range and
for one that cannot be read (a message, never a trace), forged clicks (another department's case
shows nothing of it; a layer of single records clicked by a viewer answers nothing) and forged
filter controls."""

from __future__ import annotations

import json

import pytest
from apps import build_app
from dash_calls import call, output_named, router_page
from signin import signed_in
from sqlalchemy import select

from store.models import Case

OWN = "urban_management"  # the demo department head's department
LAYER = '{"layer":["ALL"],"type":"os-map-layer"}'
FILTER = '{"field":["ALL"],"layer":["ALL"],"type":"map-filter"}'


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("map-page"), demo_cases=600, demo_live=False)


def _page(session, search: str, lang: str = "en"):
    return router_page(session, "/map", search, lang)


def _find(tree, ident):
    """The props of the component with id `ident` in a rendered tree."""
    if isinstance(tree, dict):
        props = tree.get("props") or {}
        if props.get("id") == ident:
            return props
        for value in [*props.values(), *tree.values()]:
            found = _find(value, ident)
            if found is not None:
                return found
    if isinstance(tree, list):
        for item in tree:
            found = _find(item, ident)
            if found is not None:
                return found
    return None


def test_a_tampered_address_draws_the_default_view_for_what_it_cannot_read(app):
    leader = signed_in(app, "leader")
    search = "?c=abc,def&z=999&l=nope,parts,cases&range=forever&f=parts.colour:red;junk;nope.x:1;parts.class_code:02"
    tree = _page(leader, search)
    view = _find(tree, "map-view")["data"]
    assert view == {"range": "7d", "filters": {"parts": {"class_code": "02"}}}
    assert _find(tree, "map-shown")["value"] == ["parts", "cases"]
    leaflet = _find(tree, "map-leaflet")
    assert leaflet["zoom"] == 14 and 37 < leaflet["center"][0] < 39  # the park's middle


def test_a_viewer_has_no_switch_for_single_records(app):
    tree = _page(signed_in(app, "viewer"), "?l=cases,parts")
    switches = [o["value"] for o in _find(tree, "map-shown")["options"]]
    assert "cases" not in switches and "hotspots" not in switches and "parts" in switches
    assert _find(tree, "map-shown")["value"] == ["parts"]


@pytest.mark.parametrize(
    ("view", "words"),
    [
        ({"range": "custom", "from": "2026-13-01", "to": "x"}, "needs both a first and a last day"),
        ({"range": "custom", "from": "2026-03-01", "to": "2026-01-01"}, "is before the first"),
        ({"range": "weekly"}, "unknown range"),
    ],
)
def test_a_range_that_cannot_be_read_is_a_message_in_the_layer_list(app, view, words):
    client, csrf = signed_in(app, "leader")
    values = {"map-view.data": view, "map-shown.value": ["grid_cells"], "shell-lang.value": "zh"}
    response = call(client, csrf, app, output_named(app, "map-layer-states.children"), values)
    assert response.status_code == 200
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert words in text and "Traceback" not in text


def test_a_custom_range_from_the_address_is_drawn_and_named(app):
    leader = signed_in(app, "leader")
    tree = _page(leader, "?range=custom&from=2026-01-01&to=2026-01-31", lang="en")
    options = _find(tree, "map-range")["options"]
    assert {"label": "2026-01-01 to 2026-01-31", "value": "custom"} in options
    client, csrf = leader
    values = {
        "map-view.data": _find(tree, "map-view")["data"],
        "map-shown.value": ["case_heat"],
        "shell-lang.value": "en",
    }
    response = call(client, csrf, app, output_named(app, "map-layer-states.children"), values)
    assert response.status_code == 200 and "Case heat map" in json.dumps(response.get_json())


def _click(session, app, layer: str, feature: dict):
    client, csrf = session
    items = [{"id": {"type": "os-map-layer", "layer": layer}, "property": "clickData", "value": feature}]
    values = {f"{LAYER}.clickData": items, "shell-lang.value": "en"}
    trigger = json.dumps({"layer": layer, "type": "os-map-layer"}, separators=(",", ":")) + ".clickData"
    return call(client, csrf, app, output_named(app, "map-side.children"), values, triggered=trigger)


def test_a_forged_click_on_another_departments_case_shows_nothing_of_it(app):
    engine = app.server.extensions["onescreen"].engine
    with engine.connect() as c:
        other = c.execute(select(Case.id).where(Case.department != OWN).limit(1)).scalar_one()
        own = c.execute(select(Case.id).where(Case.department == OWN).limit(1)).scalar_one()
    head = signed_in(app, "department_head")
    forged = _click(head, app, "cases", {"type": "Feature", "id": other, "properties": {"type": "x"}})
    assert forged.status_code == 200
    text = json.dumps(forged.get_json(), ensure_ascii=False)
    assert "outside what you may see" in text and other not in text
    mine = json.dumps(_click(head, app, "cases", {"type": "Feature", "id": own, "properties": {}}).get_json())
    assert own in mine and "Open the case" in mine


def test_a_viewer_clicking_a_layer_of_single_records_gets_nothing(app):
    engine = app.server.extensions["onescreen"].engine
    with engine.connect() as c:
        case_id = c.execute(select(Case.id).limit(1)).scalar_one()
    response = _click(
        signed_in(app, "viewer"), app, "cases", {"type": "Feature", "id": case_id, "properties": {}}
    )
    assert response.status_code in (200, 204)
    assert case_id not in response.get_data(as_text=True)


def test_forged_filter_controls_are_dropped(app):
    """(An item that is no {"id", "property"} object at all is refused by the guard: 400, in
    tests/unit/test_security_hardening.py.)"""
    client, csrf = signed_in(app, "leader")
    items = [
        {
            "id": {"type": "map-filter", "layer": "parts", "field": "colour"},
            "property": "value",
            "value": "red",
        },
        {
            "id": {"type": "map-filter", "layer": "nope", "field": "class_code"},
            "property": "value",
            "value": "01",
        },
        {
            "id": {"type": "map-filter", "layer": "parts", "field": "status"},
            "property": "value",
            "value": ["x"],
        },
        {
            "id": {"type": "map-filter", "layer": "parts", "field": "class_code"},
            "property": "value",
            "value": "02",
        },
    ]
    values = {"map-range.value": "30d", f"{FILTER}.value": items, "map-view.data": {"range": "7d"}}
    response = call(client, csrf, app, output_named(app, "map-view.data"), values)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    view = response.get_json()["response"]["map-view"]["data"]
    assert view == {"range": "30d", "filters": {"parts": {"class_code": "02"}}}
