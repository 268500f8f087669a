"""Screen layouts (domain/screens.py, services/screens.py): the file's checks with bad entries,
and the tile maths of a 3×3 wall of 1920×1080 screens."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from components.panels import PANELS, panel_params
from config.settings import ROOT
from domain.screens import RESOLUTIONS, LayoutError, parse_layouts, parse_tile, tile, tile_urls
from services.screens import load_screens

SINGLE = {key for key, panel in PANELS.items() if panel.single}


def _good() -> dict:
    return {
        "layouts": {
            "hd": {
                "title": {"zh": "总览", "en": "Overview"},
                "resolution": "1920x1080",
                "grid": {"rows": 2, "columns": 2, "row_sizes": [1, 3]},
                "cells": [
                    {"panel": "alert_ticker", "at": [1, 1], "size": [1, 2]},
                    {"panel": "case_trend", "at": [2, 1]},
                    {"panel": "chain_graph", "at": [2, 2], "params": {"chain": "biomedicine"}},
                ],
            }
        }
    }


def _parse(data: dict):
    return parse_layouts(data, panel_params(), SINGLE)


def test_the_shipped_file_has_a_layout_for_every_resolution():
    layouts = load_screens(ROOT / "config" / "screens.yaml")
    assert {layout.resolution.name for layout in layouts.values()} == set(RESOLUTIONS)
    for layout in layouts.values():  # every panel the registry has is placed somewhere
        assert layout.title["zh"] and layout.title["en"]
    placed = {cell.panel for layout in layouts.values() for cell in layout.cells}
    assert placed == set(PANELS)


def test_a_good_layout_parses_with_its_grid_and_params():
    layout = _parse(_good())["hd"]
    assert (layout.rows, layout.columns, layout.row_sizes, layout.column_sizes) == (
        2,
        2,
        (1.0, 3.0),
        (1.0, 1.0),
    )
    assert layout.cells[0].squares() == {(1, 1), (1, 2)}
    assert layout.cells[2].params == {"chain": "biomedicine"}
    assert layout.resolution.canvas == (1920, 1080)


def _broken(change) -> str:
    data = copy.deepcopy(_good())
    change(data["layouts"]["hd"])
    with pytest.raises(LayoutError) as caught:
        _parse(data)
    return str(caught.value)


def test_an_unknown_panel_is_named_with_the_known_ones():
    message = _broken(lambda hd: hd["cells"][1].update(panel="weather"))
    assert "layouts.hd.cells[2].panel: unknown panel 'weather'" in message and "case_trend" in message


def test_overlapping_cells_are_refused_naming_both():
    message = _broken(lambda hd: hd["cells"][2].update(at=[1, 2]))
    assert message == "layouts.hd.cells[3]: overlaps cell 1 at row 1, column 2"


def test_a_cell_outside_the_grid_is_refused():
    message = _broken(lambda hd: hd["cells"][1].update(size=[2, 1]))
    assert message == "layouts.hd.cells[2]: rows 2-3, columns 1-1 lie outside the 2×2 grid"
    assert "outside" in _broken(lambda hd: hd["cells"][1].update(at=[3, 1]))


def test_an_unknown_resolution_is_named_with_the_known_ones():
    message = _broken(lambda hd: hd.update(resolution="1024x768"))
    assert "layouts.hd.resolution: unknown resolution '1024x768'" in message and "7680x2160" in message


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda hd: hd["cells"][2].update(params={"chain": 3}), "params.chain: a str is expected, not 3"),
        (lambda hd: hd["cells"][1].update(params={"colour": "red"}), "takes no such parameter"),
        (lambda hd: hd["cells"][1].update(at=[0, 1]), "cells[2].at: a whole number of at least 1"),
        (lambda hd: hd["cells"][1].update(at="2,1"), "[row, column] is expected"),
        (lambda hd: hd["cells"][1].update(where="left"), "unknown key 'where'"),
        (lambda hd: hd["grid"].update(row_sizes=[1]), "grid.row_sizes: a list of 2 positive numbers"),
        (lambda hd: hd["grid"].update(columns="two"), "grid.columns: a whole number"),
        (lambda hd: hd.update(title={"zh": "总览"}), "title in both languages"),
        (lambda hd: hd.update(cells=[]), "cells: a list of at least one cell"),
        (lambda hd: hd["cells"][1].update(panel="alert_ticker", at=[2, 1]), "may be placed once"),
    ],
)
def test_other_bad_entries_say_what_is_wrong(change, words):
    assert words in _broken(change)


def test_a_map_panel_s_layers_are_theme_layers_of_the_catalogue(tmp_path: Path):
    data = _good()
    data["layouts"]["hd"]["cells"][1] = {
        "panel": "map",
        "at": [2, 1],
        "params": {"layers": ["alerts", "sensors"]},
    }
    path = tmp_path / "screens.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_screens(path)["hd"].cells[1].params == {"layers": ["alerts", "sensors"]}
    for wrong in ("alert", "streets"):  # a typo; a base layer (always drawn, never chosen)
        data["layouts"]["hd"]["cells"][1]["params"]["layers"] = ["sensors", wrong]
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        with pytest.raises(LayoutError) as caught:
            load_screens(path)
        message = str(caught.value)
        assert f"layouts.hd.cells[2].params.layers: unknown value {wrong!r}; known: alerts, " in message
        assert "grid_overdue" in message and "streets" not in message.split("known:")[1]


def test_a_bad_file_names_itself(tmp_path: Path):
    path = tmp_path / "screens.yaml"
    data = _good()
    data["layouts"]["hd"]["cells"][0]["panel"] = "clock"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(LayoutError, match=rf"^{path}: layouts.hd.cells\[1\].panel: unknown panel 'clock'"):
        load_screens(path)
    path.write_text("layouts: [", encoding="utf-8")
    with pytest.raises(LayoutError, match=str(path)):
        load_screens(path)
    with pytest.raises(LayoutError, match="layouts: a mapping"):
        _parse({"layouts": {}})


WALL = RESOLUTIONS["wall-3x3-1920x1080"]


def test_the_nine_tiles_of_a_wall_cover_its_canvas_once_each():
    assert WALL.canvas == (5760, 3240)
    tiles = [tile(WALL, r, c) for r in (1, 2, 3) for c in (1, 2, 3)]
    assert {(t.width, t.height) for t in tiles} == {(1920, 1080)}
    assert [(t.x, t.y) for t in tiles[:4]] == [(0, 0), (1920, 0), (3840, 0), (0, 1080)]
    assert (tiles[-1].x + tiles[-1].width, tiles[-1].y + tiles[-1].height) == WALL.canvas
    pixels = {(t.x + dx, t.y + dy) for t in tiles for dx in (0, t.width - 1) for dy in (0, t.height - 1)}
    assert len(pixels) == 36  # no two tiles share a corner pixel: they line up, never overlap


def test_tile_addresses_and_their_refusals():
    layout = _parse(_good())["hd"]
    assert tile_urls(layout) == ["/wall/hd"]
    wall = copy.deepcopy(_good())
    wall["layouts"]["hd"]["resolution"] = WALL.name
    urls = tile_urls(_parse(wall)["hd"])
    assert urls[0] == "/wall/hd?tile=1,1" and urls[5] == "/wall/hd?tile=2,3" and len(urls) == 9
    assert parse_tile("2,3", WALL) == (2, 3) and parse_tile(None, RESOLUTIONS["1920x1080"]) == (1, 1)
    for bad, words in [
        ("4,1", "outside the wall's 3×3"),
        ("a,b", "row,column is expected"),
        (None, "name one"),
    ]:
        with pytest.raises(LayoutError, match=words):
            parse_tile(bad, WALL)
    with pytest.raises(LayoutError, match="outside"):
        parse_tile("1,2", RESOLUTIONS["3840x2160"])


def test_wide_screens_are_designed_1080_high():
    assert RESOLUTIONS["3840x2160"].canvas == (1920, 1080)
    assert RESOLUTIONS["7680x2160"].canvas == (3840, 1080)
    assert RESOLUTIONS["5760x1080"].canvas == (5760, 1080)


def test_a_bad_layout_file_stops_start_up_in_one_line_naming_file_layout_and_key(
    tmp_path, monkeypatch, capsys
):
    from apps import build_app, clear_onescreen_env

    import app as onescreen

    data = _good()
    data["layouts"]["hd"]["cells"][2]["at"] = [1, 1]  # over the alert strip
    bad = tmp_path / "screens.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LayoutError, match=r"screens\.yaml: layouts\.hd\.cells\[3\]: overlaps cell 1"):
        build_app(tmp_path / "data", screens_file=bad)
    clear_onescreen_env(monkeypatch)
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ONESCREEN_SCREENS_FILE", str(bad))
    assert onescreen.main() == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "layouts.hd.cells[3]: overlaps cell 1 at row 1, column 1" in err[0]
