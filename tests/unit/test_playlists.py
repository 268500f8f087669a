"""Playlists and the wall's kiosk options (domain/playlists.py): the shipped file, each bad entry
refused naming the playlist and the key, where a playlist stands by the clock, the night hours;
and start-up (services/screens.load_screens) refusing a screens file with a bad playlist."""

from __future__ import annotations

import copy
from datetime import time
from pathlib import Path

import pytest
import yaml

from config.settings import ROOT
from domain.playlists import (
    DEFAULT_HOLD_S,
    WallOptions,
    is_night,
    parse_playlists,
    parse_wall_options,
    position,
)
from domain.screens import LayoutError
from services.screens import load_screens

SHIPPED = ROOT / "config" / "screens.yaml"
LAYOUTS = load_screens(SHIPPED)


def _data(**playlist) -> dict:
    good = {
        "title": {"zh": "轮播", "en": "Rotation"},
        "seconds": 30,
        "layouts": ["overview-hd", "overview-4k"],
    }
    return {"playlists": {"hall": {**good, **playlist}}}


def test_the_shipped_file_has_a_playlist_of_its_own_layouts_and_the_wall_options():
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    playlists = parse_playlists(data, LAYOUTS)
    assert playlists, "the shipped file shows how a playlist is written"
    for playlist in playlists.values():
        assert playlist.title["zh"] and playlist.title["en"]
        assert all(entry.layout in LAYOUTS and entry.seconds >= 10 for entry in playlist.entries)
    options = parse_wall_options(data)
    assert options.alert_hold_s == 120 and options.night_from == time(20) and options.night_to == time(7)


def test_a_playlist_takes_its_seconds_for_all_or_one_layout():
    playlist = parse_playlists(
        _data(layouts=["overview-hd", {"layout": "overview-4k", "seconds": 45}]), LAYOUTS
    )
    assert [(e.layout, e.seconds) for e in playlist["hall"].entries] == [
        ("overview-hd", 30),
        ("overview-4k", 45),
    ]
    assert playlist["hall"].round_s == 75
    assert parse_playlists({"layouts": {}}, LAYOUTS) == {}  # none: nothing rotates


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"layouts": ["overview-hd", "nowhere"]}, "playlists.hall.layouts[2]: unknown layout 'nowhere'"),
        ({"seconds": 9}, "playlists.hall.seconds: a whole number of seconds, at least 10"),
        ({"seconds": "60"}, "playlists.hall.seconds: a whole number of seconds"),
        ({"seconds": True}, "playlists.hall.seconds: a whole number of seconds"),
        ({"layouts": []}, "playlists.hall.layouts: a list of at least one layout"),
        ({"layouts": "overview-hd"}, "playlists.hall.layouts: a list of at least one layout"),
        ({"layouts": [{"layout": "overview-hd", "seconds": 5}]}, "playlists.hall.layouts[1].seconds"),
        (
            {"layouts": [{"layout": "overview-hd", "time": 50}]},
            "playlists.hall.layouts[1]: unknown key 'time'",
        ),
        ({"title": {"zh": "轮播"}}, "playlists.hall.title: a title in both languages"),
        ({"speed": 2}, "playlists.hall: unknown key 'speed'"),
        (
            {"layouts": ["overview-hd", "wall-3x3"]},
            "playlists.hall.layouts[2]: layout wall-3x3 is drawn for wall-3x3-1920x1080, the first for 1920x1080",
        ),
    ],
)
def test_a_bad_playlist_is_refused_naming_the_playlist_and_key(change, message):
    with pytest.raises(LayoutError) as refused:
        parse_playlists(_data(**change), LAYOUTS)
    assert str(refused.value).startswith(message), str(refused.value)


def test_seconds_missing_everywhere_and_a_name_unfit_for_an_address_are_refused():
    data = _data()
    del data["playlists"]["hall"]["seconds"]
    with pytest.raises(LayoutError, match=r"playlists.hall.layouts\[1\]: seconds are missing"):
        parse_playlists(data, LAYOUTS)
    with pytest.raises(LayoutError, match="playlists.a b: a name of letters"):
        parse_playlists({"playlists": {"a b": _data()["playlists"]["hall"]}}, LAYOUTS)
    with pytest.raises(LayoutError, match="playlists: a mapping"):
        parse_playlists({"playlists": ["hall"]}, LAYOUTS)


def test_the_clock_says_where_a_playlist_stands_the_same_for_every_window():
    playlist = parse_playlists(
        _data(layouts=["overview-hd", {"layout": "overview-4k", "seconds": 45}]), LAYOUTS
    )["hall"]
    start = 75 * 1_000_000  # a round begins: the first layout, its whole 30 s
    assert position(playlist, start) == (0, 30)
    assert position(playlist, start + 29.5) == (0, 0.5)
    assert position(playlist, start + 30) == (1, 45)
    assert position(playlist, start + 74) == (1, 1)
    assert position(playlist, start + 75) == (0, 30)  # and round again


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"alert_hold_seconds": 5}, "wall.alert_hold_seconds: a whole number from 10 to 3600"),
        ({"alert_hold_seconds": 7200}, "wall.alert_hold_seconds"),
        ({"night": {"from": "8pm", "to": "07:00"}}, 'wall.night.from: a time as "HH:MM"'),
        ({"night": {"from": "24:00", "to": "07:00"}}, "wall.night.from: 24:00 is no time of day"),
        ({"night": {"from": "20:00"}}, "wall.night: {from"),
        ({"night": {"from": "20:00", "to": "20:00"}}, "wall.night: from and to are the same time"),
        ({"dim": True}, "wall: unknown key 'dim'"),
    ],
)
def test_bad_wall_options_are_refused_naming_the_key(raw, message):
    with pytest.raises(LayoutError) as refused:
        parse_wall_options({"wall": raw})
    assert str(refused.value).startswith(message), str(refused.value)


def test_wall_options_default_and_night_may_be_off():
    assert parse_wall_options({}) == WallOptions(DEFAULT_HOLD_S, time(20), time(7))
    off = parse_wall_options({"wall": {"night": False, "alert_hold_seconds": 60}})
    assert off == WallOptions(60, None, None) and not is_night(off, time(23))


def test_the_night_hours_wrap_past_midnight_or_not():
    over_midnight = WallOptions(120, time(20), time(7))
    assert [is_night(over_midnight, time(h)) for h in (19, 20, 23, 0, 6, 7, 12)] == [
        False, True, True, True, True, False, False,
    ]  # fmt: skip
    afternoon = WallOptions(120, time(13), time(14, 30))
    assert [is_night(afternoon, time(h, m)) for h, m in ((12, 59), (13, 0), (14, 29), (14, 30))] == [
        False, True, True, False,
    ]  # fmt: skip


def test_start_up_refuses_a_screens_file_with_a_bad_playlist_or_wall_option(tmp_path: Path):
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    for section, bad, message in (
        (
            "playlists",
            {"lobby": {"title": {"zh": "a", "en": "a"}, "seconds": 60, "layouts": ["gone"]}},
            "gone",
        ),
        ("wall", {"alert_hold_seconds": 1}, "wall.alert_hold_seconds"),
    ):
        broken = copy.deepcopy(data)
        broken[section] = bad
        path = tmp_path / f"{section}.yaml"
        path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
        with pytest.raises(LayoutError) as refused:
            load_screens(path)
        assert str(refused.value).startswith(str(path)) and message in str(refused.value)
