"""The one map (/map, issue 10) in a real browser on the session's small demo park: it draws the
grid cells and the parts' clusters cleanly at both wall sizes, a click opens the side panel of
the feature clicked, the search finds a street by either name and moves the map there, a viewer
gets no cases layer, and the English page names its layers in English."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import parse_qs, urlparse

import pytest
from test_pages import visit

GRID_CELLS = 636
DRAWN_S = 15  # a generous bound: bench/map_render.py measures the real time
DRAWN = f"""() =>
  document.querySelectorAll('.os-map-canvas path.os-ml-grid_cells').length === {GRID_CELLS} &&
  document.querySelector('.os-map-canvas .os-map-cluster.os-ml-parts') !== null &&
  document.querySelector('[data-dash-is-loading="true"]') === null"""
READY = ".os-map .os-map-canvas .leaflet-container"


def wait_drawn(page) -> None:
    page.wait_for_function(DRAWN, timeout=DRAWN_S * 1000, polling=100)


def features(data_dir, layer: str) -> dict[str, dict]:
    """The live server's features of `layer`, by id (read from its store, read-only)."""
    con = sqlite3.connect(f"file:{data_dir / 'onescreen.sqlite'}?mode=ro", uri=True)
    try:
        rows = con.execute("select id, properties from features where layer = ?", (layer,)).fetchall()
    finally:
        con.close()
    return {fid: json.loads(props or "{}") for fid, props in rows}


def switches(page) -> list[str]:
    return page.eval_on_selector_all(".os-map-switches input", "els => els.map(e => e.value)")


def centre(page) -> str | None:
    return parse_qs(urlparse(page.url).query).get("c", [None])[0]


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_map_draws_cleanly_and_fits(browser, live_server, shots_dir, size):
    with visit(browser, live_server + "/map", shots_dir, "map", size, ready=READY) as v:
        assert v.status == 200
        wait_drawn(v.page)
        v.page.screenshot(path=str(shots_dir / f"map-drawn_{size[0]}x{size[1]}.png"))
        assert v.errors == []
        assert v.offsite == []
        geometry = v.page.evaluate(
            "() => ({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,"
            " iw: innerWidth, ih: innerHeight})"
        )
        assert geometry["w"] <= geometry["iw"] + 2 and geometry["h"] <= geometry["ih"] + 2, geometry
        # the map fills the screen's free space rather than a fixed box
        box = v.page.locator(READY).bounding_box()
        assert box["width"] > size[0] * 0.6 and box["height"] > size[1] * 0.7, box
        assert "cases" in switches(v.page)  # the leader's, so a viewer's missing switch means something


@pytest.mark.browser
def test_a_click_on_a_grid_cell_or_a_camera_opens_its_side_panel(
    browser, live_server, live_data_dir, shots_dir
):
    cells = features(live_data_dir, "grid_unit")
    cameras = {p["name"] for p in features(live_data_dir, "camera_point").values()}
    with visit(browser, live_server + "/map", shots_dir, "map-click", ready=READY) as v:
        wait_drawn(v.page)
        # Leaflet finds the clicked layer from the event's target, so a dispatched click is the
        # user's click on that very path (points on top of it would take a mouse click instead)
        v.page.locator(".os-map-canvas path.os-ml-grid_cells").nth(300).dispatch_event("click")
        v.page.wait_for_selector(".os-map-with-side #map-side h2", timeout=10_000)
        v.page.screenshot(path=str(shots_dir / "map-side-cell_1920x1080.png"))
        title = v.page.inner_text("#map-side h2")
        shown_id = v.page.inner_text("#map-side .os-map-props dd >> nth=0")
        assert shown_id in cells, shown_id  # the cell's own id, not the layer's index of it
        assert title == cells[shown_id]["name"]
        assert "cluster" not in v.page.inner_text("#map-side .os-map-props")

        v.page.click("#map-side-close")
        v.page.wait_for_selector(".os-map-page:not(.os-map-with-side)")
        v.page.locator(".os-map-canvas path.os-ml-cameras").first.dispatch_event("click")
        v.page.wait_for_selector(".os-map-with-side #map-side h2", timeout=10_000)
        assert v.page.inner_text("#map-side h2") in cameras
        assert v.errors == []


@pytest.mark.browser
def test_the_search_finds_a_street_by_either_name_and_moves_the_map(
    browser, live_server, live_data_dir, shots_dir
):
    # two streets, so the second hit moves the map from where the first one left it
    first, second = list(features(live_data_dir, "street").values())[:2]
    with visit(browser, live_server + "/map", shots_dir, "map-search", ready=READY) as v:
        wait_drawn(v.page)
        for query, street in ((first["name"], first), (second["name_en"], second)):
            before = centre(v.page)
            v.page.fill("#map-query", query)
            hit = v.page.locator("#map-hits button.os-map-hit", has_text=street["name"]).first
            hit.wait_for(timeout=10_000)
            hit.click()
            v.page.wait_for_function(
                "before => new URLSearchParams(location.search).get('c') !== before",
                arg=before,
                timeout=10_000,
            )
            assert centre(v.page) not in (None, before)
        v.page.screenshot(path=str(shots_dir / "map-search-hit_1920x1080.png"))
        assert v.errors == []


@pytest.mark.browser
def test_a_viewer_gets_no_cases_layer_but_a_drawn_map(browser, live_server, shots_dir):
    with visit(browser, live_server + "/map", shots_dir, "map-viewer", user="viewer", ready=READY) as v:
        wait_drawn(v.page)
        names = switches(v.page)
        assert "cases" not in names and "grid_cells" in names, names
        assert v.errors == []


@pytest.mark.browser
def test_the_english_page_names_its_layers_in_english(browser, live_server, shots_dir):
    with visit(browser, live_server + "/map", shots_dir, "map-en", locale="en-US", ready=READY) as v:
        wait_drawn(v.page)
        text = v.page.inner_text(".os-map-switches")
        for name in ("Grid cells (open cases)", "City parts", "Cases"):
            assert name in text, text
        assert "城市部件" not in text and "单元网格" not in text
        assert v.errors == []
