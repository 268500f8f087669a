"""The wall's playlist and critical-alert takeover as the server draws them (pages/wall.py,
components/wall_kiosk.py, pages/wall_kiosk.py), and the shell's kiosk switch: a playlist's data
on the wall, a wrong playlist said instead of drawn, a new critical alert in the live store drawn
over the layout with its place, reading and what to do, in zh and en, and gone once acknowledged."""

from __future__ import annotations

import json

import pytest
from apps import build_app
from dash_calls import call, callback_key_named, router_page
from live_alerts import at_a_smoke_detector, write_alert
from signin import signed_in

from services.context import KEY


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("wall-kiosk"), demo_cases=300)


@pytest.fixture(scope="module")
def leader(app):
    return signed_in(app, "leader")


def _find(tree, wanted):
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == wanted:
            return tree
        return next((f for f in (_find(v, wanted) for v in tree.values()) if f), None)
    if isinstance(tree, list):
        return next((f for f in (_find(v, wanted) for v in tree) if f), None)
    return None


def test_a_playlist_wall_carries_its_layouts_seconds_and_the_server_clock(leader):
    page = router_page(leader, "/wall/overview-hd", "?playlist=lobby")
    data = _find(page, "wall-playlist")["props"]
    assert json.loads(data["data-entries"]) == [["overview-4k", 60], ["overview-hd", 30]]
    assert data["data-layout"] == "overview-hd" and int(data["data-server-ms"]) > 1_700_000_000_000
    assert _find(router_page(leader, "/wall/overview-hd", ""), "wall-playlist") is None  # no playlist


@pytest.mark.parametrize(
    ("search", "lang", "words"),
    [
        ("?playlist=nope", "en", "no playlist is called 'nope'; known: lobby"),
        ("?playlist=nope", "zh", "此拼接屏的地址有误"),
        ("?playlist=lobby&tile=1,1", "en", "layout wall-3x3 is not in playlist lobby"),
    ],
)
def test_a_wrong_playlist_says_what_is_wrong(leader, search, lang, words):
    path = "/wall/wall-3x3" if "tile" in search else "/wall/overview-hd"
    text = json.dumps(router_page(leader, path, search, lang), ensure_ascii=False)
    assert words in text and "os-wall-stage" not in text


def test_a_viewer_without_the_live_stream_gets_no_takeover(app):
    page = router_page(signed_in(app, "viewer"), "/wall/overview-hd", "")
    assert _find(page, "wall-alert") is None
    assert _find(router_page(signed_in(app, "leader"), "/wall/overview-hd", ""), "wall-alert")


def _raise(app, alert_id: str, **kwargs) -> tuple[int, dict]:
    engine = app.server.extensions[KEY].engine
    seq = write_alert(engine, alert_id, "fire_rescue", **kwargs)
    row = at_a_smoke_detector(engine, alert_id)
    alert = {k: row[k] for k in ("id", "severity", "state", "rule")}
    return seq, {"seq": seq, "action": kwargs.get("action", "raise"), "alert": alert}


def _take_over(app, session, live, state, lang="en", shown=None):
    """The shell's queue moved on by the stream's store, then the wall's drawing of its head."""
    client, csrf = session

    def answer(name: str, values: dict) -> dict:
        response = call(client, csrf, app, callback_key_named(app, name), values)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.get_json()["response"]

    moved = answer("move_queue", {"live-alerts.data": live, "wall-alert-queue.data": state})
    drawn = answer(
        "take_over",
        {
            "wall-alert-queue.data": moved["wall-alert-queue"]["data"],
            "wall-alert-shown.data": shown,
            "wall-alert-view.data": {"layout": "overview-4k", "view": [0, 0, 1920, 1080]},
            "shell-lang.value": lang,
        },
    )
    return moved | drawn


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_new_critical_alert_takes_over_until_it_is_acknowledged(app, leader, lang):
    seq, raised = _raise(app, f"KIOSK-{lang}")
    answer = _take_over(app, leader, {"seq": seq, "items": [raised]}, {"handled": seq - 1, "queue": []}, lang)
    state = answer["wall-alert-queue"]["data"]
    assert [item["id"] for item in state["queue"]] == [f"KIOSK-{lang}"]
    assert answer["wall-alert-shown"]["data"] == {"id": f"KIOSK-{lang}", "waiting": 0}
    assert answer["wall-alert-tick"]["disabled"] is False
    card = json.dumps(answer["wall-alert"]["children"], ensure_ascii=False)
    words = {
        "en": ("Critical alert", "Smoke alarm", "What to do", "fire control room", "threshold 4"),
        "zh": ("紧急告警", "烟感报警", "处置要求", "消防控制室", "阈值 4"),
    }[lang]
    assert all(w in card for w in words), card[:400]
    assert "wall-alert-map" in card and '"data-view": "0,0,1920,1080"' in card
    assert '"fontSize": "30px"' in card  # 1080 px high canvas: the card's text at 30 px
    ack_seq, acknowledged = _raise(app, f"KIOSK-{lang}", action="acknowledge", state="acknowledged")
    live = {"seq": ack_seq, "items": [raised, acknowledged]}
    answer = _take_over(app, leader, live, state, lang, shown=answer["wall-alert-shown"]["data"])
    assert answer["wall-alert-queue"]["data"]["queue"] == []
    assert answer["wall-alert"]["children"] is None and answer["wall-alert-tick"]["disabled"] is True


def test_the_shell_offers_the_kiosk_switch_in_both_languages_with_the_night_hours(app, leader):
    client, _csrf = leader
    layout = client.get("/_dash-layout").get_json()
    button = _find(layout, "shell-kiosk")["props"]
    assert button["data-enter-en"].startswith("Kiosk mode") and button["data-enter-zh"].startswith("展示模式")
    assert (button["data-night-from"], button["data-night-to"], button["data-tz"]) == (
        "20:00",
        "07:00",
        "Asia/Shanghai",
    )
    # the queue and its clock outlive a playlist's turn: in the shell
    assert _find(layout, "wall-alert-queue") and _find(layout, "wall-alert-tick")
    exit_control = _find(layout, "shell-kiosk-exit")["props"]
    assert exit_control["data-exit-en"] == "Leave kiosk mode (Esc)" and exit_control["data-exit-zh"]
