"""The wall's trend as SVG lines with HTML labels (components/line_chart.py): grid lines on round
steps from zero past the highest day, every day a point, the running last day dotted and hollow,
today always named under the axis, and the figures said in words for a screen reader."""

from __future__ import annotations

import json

import pandas as pd
import plotly.utils
import pytest
from dash_tree import walk

from components.line_chart import SIZE, line_chart, nice_step


@pytest.mark.parametrize(
    ("top", "step"), [(0, 1), (3, 1), (9, 5), (40, 10), (401, 200), (1234, 500), (98_000, 50_000)]
)
def test_grid_steps_are_round_and_few(top, step):
    assert nice_step(top) == step
    assert top / step <= 4 or top == 0


def _trend(days: int = 30) -> pd.DataFrame:
    index = pd.date_range(end=pd.Timestamp("2026-12-08", tz="Asia/Shanghai"), periods=days, freq="D")
    reported = [300 + (i * 37) % 90 for i in range(days - 1)] + [7]
    closed = [280 + (i * 53) % 80 for i in range(days - 1)] + [31]
    return pd.DataFrame({"reported": reported, "closed": closed}, index=index)


def _json(chart) -> tuple[list[dict], str]:
    """The chart as the renderer receives it: its nodes, and its whole text."""
    text = json.dumps(chart, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)
    return [n for n in walk(json.loads(text)) if "type" in n and "props" in n], text


def test_lines_points_and_the_running_day():
    nodes, text = _json(line_chart(_trend(), {"reported": "Reported", "closed": "Closed"}, "today so far"))
    lines = [n["props"] for n in nodes if n["type"] == "Polyline"]
    assert len(lines) == 4  # each series: 29 settled days, and the dotted last segment
    solid = [p for p in lines if not p.get("strokeDasharray")]
    dotted = [p for p in lines if p.get("strokeDasharray")]
    assert [len(p["points"].split()) for p in solid] == [29, 29]
    assert [len(p["points"].split()) for p in dotted] == [2, 2]
    # the last point of the dotted segment is today's figure, on a 0..400 axis (the highest day: 389)
    x, y = (float(v) for v in dotted[0]["points"].split()[-1].split(","))
    assert x == SIZE and y == pytest.approx(SIZE - SIZE * 7 / 400, abs=0.1)
    assert len([n for n in nodes if n["type"] == "Line"]) == 5  # every 100 from 0 to 400
    assert [n["props"]["children"] for n in nodes if "os-lc-y-label" in str(n["props"].get("className"))] == [
        "0", "100", "200", "300", "400"
    ]  # fmt: skip
    days = [n["props"]["children"] for n in nodes if "os-lc-x-label" in str(n["props"].get("className"))]
    assert days[-1] == "12-08" and len(days) <= 6  # today always named, the axis not crowded
    assert "today so far: Reported 7, Closed 31" in text  # the plot's words for a screen reader
    points = [n["props"]["d"] for n in nodes if n["type"] == "Path"]
    assert points[0].count("h0") == 29  # a round point for each settled day


def test_one_day_draws_no_line_but_keeps_its_labels():
    nodes, text = _json(line_chart(_trend(1), {"reported": "Reported", "closed": "Closed"}, "today so far"))
    assert not [n for n in nodes if n["type"] == "Polyline"] and "12-08" in text
