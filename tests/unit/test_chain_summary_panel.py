"""The Overview's industry-chain panel (issue 12, item 6): per chain its links filled of those
drawn, gaps, weak links, enterprises, revenue by stage on one shared scale and its best target
in words, in both languages, each row opening the chain page on its chain; the panel is in the
Overview's body as a viewer receives it; and odd data (a chain with no revenue, no target, no
English name, more chains than the panel has room for) reads sensibly instead of failing."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from apps import build_app
from dash_calls import call, output_named
from signin import signed_in

from components.chain_summary import MAX_CHAINS, chain_rows, gravest, make_chain_summary, target_text
from components.chain_words import finding_text
from domain.chain_analysis import Finding, GapRules
from locales import t

ZONE = ZoneInfo("Asia/Shanghai")
LATE = timedelta(minutes=3)
WEIGHTS = GapRules().weights


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("chain-summary"), demo_cases=300)


def as_json(component) -> dict | list:
    def plain(c):
        return c.to_plotly_json() if hasattr(c, "to_plotly_json") else str(c)

    return json.loads(json.dumps(component, default=plain, ensure_ascii=False))


def find(tree, css: str) -> list[dict]:
    """Every component in `tree` whose className holds the class `css`."""
    found = []

    def walk(node):
        if isinstance(node, dict) and "props" in node:
            if css in str(node["props"].get("className", "")).split():
                found.append(node)
            walk(node["props"].get("children"))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    return found


def text(tree) -> str:
    if isinstance(tree, str):
        return tree
    if isinstance(tree, list):
        return "".join(text(c) for c in tree)
    if isinstance(tree, dict):
        return text(tree.get("props", {}).get("children", ""))
    return ""


def width(segment: dict) -> float:
    return float(segment["props"]["style"]["width"].rstrip("%"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_chain_shows_its_figures_and_best_target_and_opens_the_chain_page(app, lang):
    client, _ = signed_in(app, "viewer")
    chains = client.get("/api/v1/chains").get_json()["chains"]
    targets = client.get("/api/v1/chain-targets").get_json()["targets"]
    with app.server.app_context():
        parts = make_chain_summary(lang, ZONE, LATE)
    assert parts.title == t("chain_summary.title_year", lang, year=2025)
    rows = find(as_json(parts.body), "os-cs-link")
    assert [r["props"]["href"] for r in rows] == [f"/chains?chain={c['chain']}" for c in chains]
    for row, chain in zip(rows, chains, strict=True):
        words = text(row)
        assert (chain["name"] if lang == "zh" else chain["name_en"]) in words
        assert f"{chain['filled']}/{chain['links']}" in words
        numbers = [text(c) for c in row["props"]["children"] if "os-num" in c["props"]["className"]]
        assert numbers[1:] == [str(chain["empty"]), str(chain["weak"]), f"{chain['enterprises']:,}"]
        best = next(x for x in targets if x["chain"] == chain["chain"])
        finding = gravest(tuple(Finding(f["code"], f["values"]) for f in best["findings"]), WEIGHTS)
        (target,) = find(row, "os-cs-target")
        assert finding_text(finding, lang) in text(target)
        assert (best["name"] if lang == "zh" else best["name_en"]) in text(target)
        assert not re.search(r"chain_summary\.|chain\.", words)  # no catalogue key shown raw
    # one scale: the chain with the most revenue fills the bar, the others in proportion
    largest = max(c["revenue"] for c in chains)
    for row, chain in zip(rows, chains, strict=True):
        total = sum(width(s) for s in find(row, "os-cs-seg"))
        assert total == pytest.approx(100 * chain["revenue"] / largest, abs=0.05)
    source = text(as_json(parts.source))
    assert t("panel.live", lang, time="")[:2] in source


def test_the_overview_a_viewer_receives_holds_the_chain_panel(app):
    client, csrf = signed_in(app, "viewer")
    values = {"overview-tick.n_intervals": 1, "overview-scope.value": "*", "shell-lang.value": "en"}
    response = call(client, csrf, app, output_named(app, "overview-body.children"), values)
    assert response.status_code == 200
    body = response.get_json()["response"]["overview-body"]["children"]
    (panel,) = find(body, "os-chain-summary")
    assert "Industry chains, 2025 figures" in text(panel["props"]["children"][0])
    assert len(find(panel, "os-cs-link")) == 4  # the demo park's four chains


def test_a_department_heads_overview_says_the_chains_are_park_wide(app):
    client, csrf = signed_in(app, "department_head")
    values = {
        "overview-tick.n_intervals": 1,
        "overview-scope.value": "urban_management",
        "shell-lang.value": "zh",
    }
    response = call(client, csrf, app, output_named(app, "overview-body.children"), values)
    assert response.status_code == 200
    (panel,) = find(response.get_json()["response"]["overview-body"]["children"], "os-chain-summary")
    assert text(panel["props"]["children"][0]).startswith("产业链（2025 年数据）（全园区）")
    assert len(find(panel, "os-cs-link")) == 4  # the whole park's chains, not a department's share


def _summary(**changes) -> pd.DataFrame:
    row = {
        "chain": "bio", "chain_name": "生物医药", "chain_name_en": "Biomedicine", "links": 3,
        "filled": 2, "empty": 1, "weak": 1, "enterprises": 5, "revenue": 300.0,
        "revenue_upstream": 100.0, "revenue_midstream": 200.0, "revenue_downstream": np.nan,
    }  # fmt: skip
    return pd.DataFrame([{**row, **changes}])


def _target(chain: str, status: str, findings: tuple[Finding, ...]) -> dict:
    return {"chain": chain, "link": f"{chain}.x", "name": "试剂", "name_en": "Reagents", "status": status,
            "findings": findings}  # fmt: skip


NO_TARGETS = pd.DataFrame(columns=["chain", "link", "name", "name_en", "status", "findings"])


def test_a_chain_without_revenue_or_english_name_draws_an_empty_bar_and_a_dash():
    summary = _summary(
        chain_name_en=None, filled=0, empty=3, weak=0, enterprises=0, revenue=np.nan,
        revenue_upstream=np.nan, revenue_midstream=np.nan,
    )  # fmt: skip
    targets = pd.DataFrame([_target("bio", "empty", (Finding("empty"),))])
    (row,) = as_json(chain_rows(summary, targets, WEIGHTS, "en"))
    assert find(row, "os-cs-seg") == []
    assert text(find(row, "os-cs-total")[0]) == "—"
    assert text(find(row, "os-cs-name")[0]) == "生物医药"  # no English name: the Chinese one
    assert text(find(row, "os-cs-target")[0]) == "Fill first: Reagents — No enterprise in the park"


def test_a_chain_with_every_link_strong_says_so():
    (row,) = as_json(chain_rows(_summary(empty=0, weak=0, filled=3), NO_TARGETS, WEIGHTS, "zh"))
    assert text(find(row, "os-cs-target")[0]) == t("chain_summary.no_target", "zh")
    assert find(row, "os-cs-gap") == [] and find(row, "os-cs-weak") == []


def test_the_target_is_told_by_its_gravest_finding_not_its_first():
    findings = (
        Finding("concentrated", {"share": 0.7, "name": "甲公司", "name_en": "Jia Co."}),
        Finding("few", {"count": 2, "minimum": 3}),
    )
    assert gravest(findings, WEIGHTS) == findings[1]  # few weighs 0.8, concentrated 0.5
    target = pd.Series(_target("bio", "weak", findings))
    assert (
        target_text(target, WEIGHTS, "en") == "Strengthen first: Reagents — Only 2 enterprises, fewer than 3"
    )
    assert target_text(target, WEIGHTS, "zh").startswith("强链首选：试剂，")


def test_more_chains_than_the_panel_holds_end_in_one_line_to_the_chain_page():
    many = pd.concat(
        [_summary(chain=f"c{i}", revenue=100.0 * (i + 1)) for i in range(MAX_CHAINS + 2)], ignore_index=True
    )
    rows = as_json(chain_rows(many, NO_TARGETS, WEIGHTS, "en"))
    assert len(rows) == MAX_CHAINS + 1
    assert rows[-1]["props"]["href"] == "/chains" and text(rows[-1]) == "2 more chains on the chain page"
