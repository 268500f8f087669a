"""bench/load.py's user mix without running a load: the locustfile's task weights, the recorded
wall payloads (tests/fixtures/load: recorded from /wall/overview-hd and /wall/leaders-hd in
headless Chromium by bench/load_capture.py) and how a replayed body moves its timers on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.load_mix import (
    WEIGHTS,
    PayloadError,
    advance,
    due,
    fetches_due,
    load_captures,
    output_name,
    prop_key,
    timers_of,
)

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "fixtures" / "load" / "wall_refresh_payloads.json"


def test_walls_are_most_of_the_mix():
    assert WEIGHTS["WallViewer"] / sum(WEIGHTS.values()) >= 0.8
    assert set(WEIGHTS) == {"WallViewer", "DeptHead", "DutyOfficer", "LiveListener"}
    assert all(weight >= 1 for weight in WEIGHTS.values())


def test_locustfile_users_carry_the_mix_weights(tmp_path):
    # in a process of its own: importing Locust monkey-patches the process with gevent
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"payloads": str(RECORDED), "tokens": {}, "duration_s": 1, "results": "x"}))
    probe = (
        "import locust, json, bench.locustfile_load as f; "  # Locust patches first, as its CLI does
        "print(json.dumps({n: getattr(f, n).weight for n in ('WallViewer', 'DeptHead', 'DutyOfficer', 'LiveListener')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"LOAD_BENCH_CONFIG": str(config), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == WEIGHTS


def test_recorded_walls_load_with_their_refresh_callbacks():
    walls = {wall.layout: wall for wall in load_captures(RECORDED)}
    assert set(walls) == {"overview-hd", "leaders-hd"}
    assert walls["leaders-hd"].role == "leader" and walls["overview-hd"].role == "viewer"
    for wall in walls.values():
        assert wall.page == f"/wall/{wall.layout}"
        assert wall.initial, "the page's first callbacks are replayed once"
        timers = [p for body in wall.refresh for p in body["changedPropIds"] if p.endswith(".n_intervals")]
        assert timers, f"{wall.layout}: every refresh body is fired by a timer"


def test_advance_counts_the_firing_timer_on_and_leaves_the_record_alone():
    wall = next(w for w in load_captures(RECORDED) if w.layout == "leaders-hd")
    body = next(b for b in wall.refresh if b["changedPropIds"] == ["panel-live-tick.n_intervals"])
    recorded = {i["id"]: i["value"] for i in body["inputs"] if i["property"] == "n_intervals"}
    moved = {i["id"]: i["value"] for i in advance(body, 7)["inputs"] if i["property"] == "n_intervals"}
    assert moved["panel-live-tick"] == recorded["panel-live-tick"] + 7
    assert moved["panel-tick"] == recorded["panel-tick"]  # it did not fire
    assert {i["id"]: i["value"] for i in body["inputs"] if i["property"] == "n_intervals"} == recorded


def test_dict_ids_are_named_as_dash_names_them():
    assert prop_key({"type": "wall-cell", "cell": 2}, "children") == '{"cell":2,"type":"wall-cell"}.children'
    assert output_name({"output": "a.children", "changedPropIds": ["panel-tick.n_intervals"]}) == (
        "a.children <- panel-tick"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ("{not json", "not JSON"),
        (json.dumps({"walls": []}), "needs a non-empty list 'walls'"),
        (json.dumps({"walls": [{"layout": "x", "refresh": []}]}), "no refresh callbacks recorded"),
        (json.dumps({"walls": [{"layout": "x", "refresh": [{"output": "a"}]}]}), "not a Dash callback body"),
        (json.dumps({"walls": [{"refresh": [{}]}]}), "needs a 'layout' name"),
        (
            json.dumps(
                {"walls": [{"layout": "x", "refresh": [{"output": "a", "inputs": []}], "fetches": ["x"]}]}
            ),
            "is not a path on the server",
        ),
    ],
)
def test_a_bad_payload_file_is_refused_naming_the_file_and_why(tmp_path, content, message):
    path = tmp_path / "payloads.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PayloadError, match=message) as refused:
        load_captures(path)
    assert str(path) in str(refused.value)


def test_paced_cycle_sends_the_live_counts_each_time_and_the_figures_every_sixth():
    wall = next(w for w in load_captures(RECORDED) if w.layout == "leaders-hd")
    assert wall.timers_ms == {"panel-tick": 60_000, "panel-live-tick": 10_000}
    first = due(wall, 1, "paced")
    assert [timers_of(b) for b in first] == [{"panel-live-tick"}]
    assert fetches_due(wall, first) == ()
    sixth = due(wall, 6, "paced")
    assert {b["output"]: timers_of(b) for b in sixth} == {
        '{"cell":["ALL"],"type":"wall-cell"}.children': {"panel-tick", "panel-live-tick"},
        next(b["output"] for b in wall.refresh if "panel-map-layer" in b["output"]): {"panel-tick"},
    }
    assert fetches_due(wall, sixth) == wall.fetches and wall.fetches
    assert due(wall, 1, "full") == list(wall.refresh)


def test_bad_timers_are_refused(tmp_path):
    path = tmp_path / "payloads.json"
    body = {"output": "a", "inputs": []}
    path.write_text(json.dumps({"walls": [{"layout": "x", "refresh": [body], "timers_ms": {"t": 0}}]}))
    with pytest.raises(PayloadError, match="'timers_ms' must map each timer's id to its period"):
        load_captures(path)
