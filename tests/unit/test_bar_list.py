"""The wall's ranked HTML bars (components/bar_list.py): largest first unless the caller's order
is kept, each bar its count's share of the largest, a kind without a label named by its key,
and counts that are all zero drawn as empty bars rather than dividing by zero."""

from __future__ import annotations

import json

import pandas as pd
from dash_tree import text, with_class
from plotly.utils import PlotlyJSONEncoder

from components.bar_list import bar_list


def _rows(tree) -> list[tuple[str, str, str]]:
    return [
        (text(with_class(r, "os-bar-label")[0]), with_class(r, "os-bar-fill")[0]["props"]["style"]["width"],
         text(with_class(r, "os-bar-value")[0]))
        for r in with_class(tree, "os-bar-row")
    ]  # fmt: skip


def _tree(component) -> dict:
    """The component as the renderer receives it (JSON)."""
    return json.loads(json.dumps(component, cls=PlotlyJSONEncoder))


def test_largest_first_with_shares_of_the_largest_and_figures_grouped():
    counts = pd.Series({"wechat": 250, "hotline": 1000, "app": 0})
    rows = _rows(_tree(bar_list(counts, {"wechat": "WeChat", "hotline": "12345 hotline"})))
    assert rows == [("12345 hotline", "100.0%", "1,000"), ("WeChat", "25.0%", "250"), ("app", "0.0%", "0")]


def test_the_caller_s_order_is_kept_when_asked_and_zero_counts_draw_empty_bars():
    counts = pd.Series({"b": 0, "a": 0})
    rows = _rows(_tree(bar_list(counts, {}, sort=False)))
    assert rows == [("b", "0.0%", "0"), ("a", "0.0%", "0")]
