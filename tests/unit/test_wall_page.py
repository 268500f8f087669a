"""The wall page (/wall/<layout>) and the admin's preview over HTTP as the browser's renderer
calls them: a tile draws its own panels only, at its place on the canvas; an unknown layout or a
wrong tile says what is wrong in the reader's language; a tick redraws only the panels that
follow it; the preview refuses a screen size it cannot draw."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from apps import build_app
from dash_calls import call, callback_key_named, router_page
from dash_tree import walk as _walk
from signin import signed_in

CELL_ALL = '{"cell":["ALL"],"type":"wall-cell"}'


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("wall-page"), demo_cases=300)


@pytest.fixture(scope="module")
def leader(app):
    return signed_in(app, "leader")


def _stage(tree) -> dict:
    return next(n for n in _walk(tree) if "os-wall-stage" in str(n.get("props", {}).get("className", "")))


def _cells(tree) -> list[int]:
    return [
        n["props"]["id"]["cell"]
        for n in _walk(tree)
        if isinstance(n.get("props", {}).get("id"), dict) and n["props"]["id"].get("type") == "wall-cell"
    ]


def test_each_tile_of_the_3x3_wall_draws_its_own_part(leader):
    first = router_page(leader, "/wall/wall-3x3", "?tile=1,1")
    assert _stage(first)["props"]["data-view"] == "0,0,1920,1080"
    assert _stage(first)["props"]["style"]["width"] == "5760px"
    assert _cells(first) == [0, 1]  # the alert strip (over all three screens) and the KPI cards
    last = router_page(leader, "/wall/wall-3x3", "?tile=2,3")
    assert _stage(last)["props"]["data-view"] == "3840,1080,1920,1080"
    assert _cells(last) == [6]  # the biomedicine chain graph
    assert "Industry chain: Biomedicine" in json.dumps(last, ensure_ascii=False)


@pytest.mark.parametrize(
    ("path", "search", "lang", "words"),
    [
        ("/wall/nope", "", "en", 'No screen layout is called \\"nope\\"'),
        ("/wall/nope", "", "zh", "没有名为“nope”的大屏布局"),
        ("/wall/wall-3x3", "?tile=4,1", "en", "outside the wall's 3×3 screens"),
        ("/wall/wall-3x3", "?tile=x", "zh", "此拼接屏的地址有误"),
        ("/wall/wall-3x3", "", "en", "name one as ?tile=row,column"),
        ("/wall/overview-hd", "?tile=1,2", "en", "outside"),
        ("/wall/overview-hd", "?speed=0", "en", "speed: a whole number from 1 to 20"),
        ("/wall/overview-hd", "?speed=2.5", "en", "speed: a whole number from 1 to 20"),
        ("/wall/overview-hd", "?speed=21", "zh", "此拼接屏的地址有误"),
    ],
)
def test_a_wrong_address_says_what_is_wrong(leader, path, search, lang, words):
    text = json.dumps(router_page(leader, path, search, lang), ensure_ascii=False)
    assert words in text
    assert "overview-hd" in text  # and which layouts there are
    assert "os-wall-stage" not in text


def _intervals(tree) -> dict[str, int]:
    """The panels' refresh clocks (the alert takeover's own clock is no panel's)."""
    return {
        n["props"]["id"]: n["props"]["interval"]
        for n in _walk(tree)
        if n.get("type") == "Interval" and n["props"]["id"].startswith("panel-")
    }


def test_speed_divides_the_panels_refresh_intervals(leader):
    assert _intervals(router_page(leader, "/wall/overview-hd", "")) == {
        "panel-tick": 60_000,
        "panel-live-tick": 10_000,
    }
    assert _intervals(router_page(leader, "/wall/overview-hd", "?speed=10")) == {
        "panel-tick": 6_000,
        "panel-live-tick": 1_000,
    }


def test_the_layout_speaks_the_readers_language(leader):
    zh = json.dumps(router_page(leader, "/wall/overview-hd", "", "zh"), ensure_ascii=False)
    en = json.dumps(router_page(leader, "/wall/overview-hd", "", "en"), ensure_ascii=False)
    assert "近30日案件受理与办结" in zh and "Cases reported and closed" in en
    assert "Cases reported and closed" not in zh and "近30日案件受理与办结" not in en


def _refresh(app, session, ticked: str | list[str], cells: list[int], layout="overview-hd"):
    clocks = ticked if isinstance(ticked, list) else [ticked]
    ids = [
        {"id": {"cell": c, "type": "wall-cell"}, "property": "id", "value": {"cell": c, "type": "wall-cell"}}
        for c in cells
    ]
    values = {
        **{f"{clock}.n_intervals": 1 for clock in clocks},
        f"{CELL_ALL}.id": ids,
        "wall-layout-name.data": layout,
        "shell-lang.value": "en",
    }
    client, csrf = session
    return call(
        client, csrf, app, callback_key_named(app, "refresh"), values, [f"{c}.n_intervals" for c in clocks]
    )


def test_a_tick_redraws_the_panels_that_follow_it(app, leader):
    # overview-hd: 0 the alert strip (10 s), 1 the KPI cards (both), 2 the case trend (1 min)
    slow = _refresh(app, leader, "panel-tick", [0, 1, 2])
    assert slow.status_code == 200
    drawn = json.dumps(slow.get_json(), ensure_ascii=False)
    assert "Cases reported and closed" in drawn and "os-kpi-card" in drawn and "os-ticker" not in drawn
    live = json.dumps(_refresh(app, leader, "panel-live-tick", [0, 1, 2]).get_json(), ensure_ascii=False)
    assert "os-ticker" in live and "os-kpi-card" in live and "Cases reported and closed" not in live
    # both clocks in one call (once a minute): the panels of both are redrawn
    both = json.dumps(_refresh(app, leader, ["panel-tick", "panel-live-tick"], [0, 1, 2]).get_json())
    assert "os-ticker" in both and "os-kpi-card" in both and "Cases reported and closed" in both
    # a tampered cell or layout redraws nothing
    for tampered in (
        _refresh(app, leader, "panel-tick", [99]),
        _refresh(app, leader, "panel-tick", [1], layout="nope"),
    ):
        assert tampered.status_code in (200, 204) and "os-kpi-card" not in tampered.get_data(as_text=True)


def test_the_preview_refuses_a_size_it_cannot_draw(app):
    admin = signed_in(app, "admin")
    client, csrf = admin
    key = callback_key_named(app, "update_preview")
    values = {
        "screens-layout.value": "wide-8k",
        "screens-width.value": 1280,
        "screens-height.value": 720,
        "shell-lang.value": "zh",
    }
    good = json.dumps(call(client, csrf, app, key, values).get_json(), ensure_ascii=False)
    assert '"data-view": "0,0,1280,720"' in good and '"data-view": "0,0,3840,1080"' in good
    assert "/wall/wide-8k" in good
    for width in (12, None, "wide", 99_999):
        answer = call(client, csrf, app, key, values | {"screens-width.value": width}).get_json()
        assert "屏幕尺寸须为 320 至 16384 之间的整数" in json.dumps(answer, ensure_ascii=False)
    wall = json.dumps(call(client, csrf, app, key, values | {"screens-layout.value": "wall-3x3"}).get_json())
    assert len(set(re.findall(r"/wall/wall-3x3\?tile=\d,\d", wall))) == 9


def test_the_map_panel_reads_the_map_layers_under_ids_of_its_own(leader):
    tree = router_page(leader, "/wall/wall-3x3", "?tile=3,2")
    layers = [n["props"] for n in _walk(tree) if isinstance(n.get("props", {}).get("id"), dict) and n["props"]["id"].get("type") == "panel-map-layer"]  # fmt: skip
    urls = {p["id"]["layer"]: p["url"] for p in layers}
    assert urls and all(url.startswith(f"/api/v1/map/layers/{layer}?crs=") for layer, url in urls.items())
    # a live layer's address moves with the minute (the panel's refresh reads it anew); the
    # park's drawing does not
    assert "v=" in urls["alerts"] and any("v=" not in url for url in urls.values())
    maps = [n["props"] for n in _walk(tree) if n.get("props", {}).get("id") == "panel-map"]
    assert len(maps) == 1 and maps[0]["zoom"] == 14  # the layout's zoom
    # a layer below its min_zoom is left out, as on the map page: the buildings start at 15
    assert "buildings" not in urls and {"boundary", "blocks", "streets"} <= set(urls)
    client, _csrf = leader
    assert client.get(urls["alerts"]).status_code == 200  # an address the API answers
    # the first drawing carries each layer's features, as its address gives them to this reader
    data = {p["id"]["layer"]: p["data"] for p in layers}
    for layer in ("blocks", "alerts", "sensors"):
        assert data[layer]["type"] == "FeatureCollection"
        assert data[layer]["features"] == client.get(urls[layer]).get_json()["features"], layer
    assert len(data["blocks"]["features"]) > 100


def test_a_large_layer_is_fetched_from_its_address_instead_of_carried(leader, monkeypatch):
    """The first drawing carries only small layers: a large one (the park's 56,550 parts are
    600 KB compressed) is left to its URL, which Leaflet fetches beside the page."""
    from collections import OrderedDict

    from components import panel_map
    from services import rendered_cells

    monkeypatch.setattr(panel_map, "INLINE_MAX_BYTES", 2_000)  # the park's outline in, its blocks out
    monkeypatch.setattr(rendered_cells, "_cells", OrderedDict())  # no drawing made before this
    monkeypatch.setattr(rendered_cells, "_latest", OrderedDict())
    tree = router_page(leader, "/wall/wall-3x3", "?tile=3,2")
    layers = {n["props"]["id"]["layer"]: n["props"] for n in _walk(tree) if isinstance(n.get("props", {}).get("id"), dict) and n["props"]["id"].get("type") == "panel-map-layer"}  # fmt: skip
    assert layers["boundary"]["data"]["type"] == "FeatureCollection"
    assert layers["blocks"].get("data") is None and layers["blocks"]["url"].startswith(
        "/api/v1/map/layers/blocks?"
    )


def test_the_slow_tick_reads_the_maps_layers_anew_without_rebuilding_the_map(app, leader):
    """The map panel is never rebuilt by a refresh (a Leaflet map rebuilt on every tick kept a
    wall's heap at two levels); its layers' addresses and its source line are redrawn, for ids
    the reader may read only."""
    client, csrf = leader
    key = callback_key_named(app, "redraw_layers")

    def items(ids: list[dict]) -> list[dict]:
        return [{"id": i, "property": "id", "value": i} for i in ids]

    layers = [{"type": "panel-map-layer", "layer": layer} for layer in ("alerts", "blocks", "no-such-layer")]
    answer = call(
        client, csrf, app, key,
        {
            "panel-tick.n_intervals": 3,
            '{"layer":["ALL"],"type":"panel-map-layer"}.id': items(layers),
            '{"panel":["ALL"],"type":"panel-map-source"}.id': items([{"type": "panel-map-source", "panel": "map"}]),
            "shell-lang.value": "en",
        },
    )  # fmt: skip
    assert answer.status_code == 200
    drawn = json.dumps(answer.get_json(), ensure_ascii=False)
    assert "/api/v1/map/layers/alerts?" in drawn and "v=" in drawn
    assert "no-such-layer" not in drawn and "read " in drawn
    # the live layer's first features are cleared, so that its new address is read; the park's
    # drawing keeps its features and its address (no update for either)
    (urls,) = [v["url"] for v in answer.get_json()["response"].values() if "url" in v]
    (data,) = [v["data"] for v in answer.get_json()["response"].values() if "data" in v]
    assert urls[0].startswith("/api/v1/map/layers/alerts?") and data[0] is None
    kept = {"_dash_no_update": "_dash_no_update"}  # blocks and the unknown layer: no update
    assert urls[1:] == data[1:] == [kept, kept]
    # the wall's own refresh leaves the map's cell alone
    cells = yaml.safe_load(Path("config/screens.yaml").read_text(encoding="utf-8"))["layouts"]["wall-3x3"][
        "cells"
    ]
    at = next(i for i, cell in enumerate(cells) if cell["panel"] == "map")
    assert "panel-map" not in _refresh(app, leader, "panel-tick", [at], layout="wall-3x3").get_data(
        as_text=True
    )
