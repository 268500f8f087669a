"""The chains page over HTTP as the browser's renderer calls it: drawn by the router from its
URL (the chain's tabs, its graph of links and the ranked targets; a link's figures and
enterprises), a tap on the graph opening a link, the graph's ink following the theme, the
page drawn again only when the chain data changes, and tampered addresses and taps answered
with a notice or nothing, never a trace."""

from __future__ import annotations

import json

import pytest
from apps import build_app
from dash_calls import call, callback_key_named, router_page
from signin import signed_in
from sqlalchemy import select, update

from store.models import EnterpriseFigure


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("chains-page"), demo_cases=300)


@pytest.fixture(scope="module")
def viewer(app):
    return signed_in(app, "leader")


def _page(session, search: str = "", lang: str = "en"):
    return router_page(session, "/chains", search, lang)


def _find(tree, component_id: str):
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        for value in tree.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for item in tree:
            found = _find(item, component_id)
            if found is not None:
                return found
    return None


def _text(tree) -> str:
    return json.dumps(tree, ensure_ascii=False)


def test_a_chain_draws_its_links_by_stage_and_its_targets(viewer) -> None:
    tree = _page(viewer, "?chain=biomedicine")
    graph = _find(tree, "chains-graph")
    nodes = [e for e in graph["props"]["elements"] if "position" in e]
    edges = [e for e in graph["props"]["elements"] if "source" in e["data"]]
    assert len(nodes) == 13 and edges
    by_id = {n["data"]["id"]: n for n in nodes}
    # the stages are columns, upstream first; every edge runs from a parent drawn
    assert by_id["bio.api"]["position"]["x"] < by_id["bio.chemical_drugs"]["position"]["x"]
    assert by_id["bio.chemical_drugs"]["position"]["x"] < by_id["bio.distribution"]["position"]["x"]
    assert all(e["data"]["source"] in by_id and e["data"]["target"] in by_id for e in edges)
    assert {by_id[link]["data"]["status"] for link in ("bio.reagents", "bio.imaging")} == {"empty"}
    assert by_id["bio.cro"]["data"]["status"] == "weak"
    text = _text(tree)
    assert "Investment targets" in text and "No enterprise in the park" in text
    assert "/chains?chain=biomedicine&link=bio.reagents" in text
    assert "Electronic information" in text  # the other chains' tabs


def test_a_link_shows_its_figures_and_enterprises_in_chinese(viewer) -> None:
    tree = _page(viewer, "?link=bio.tcm", lang="zh")  # a link names its chain
    text = _text(tree)
    assert "现代中药" in text and "返回招商目标" in text
    assert "/enterprise?id=ENT" in text
    graph = _find(tree, "chains-graph")
    picked = [e for e in graph["props"]["elements"] if "picked" in e.get("classes", "")]
    assert [p["data"]["id"] for p in picked] == ["bio.tcm"]


@pytest.mark.parametrize(
    ("search", "notice"),
    [
        ("?chain=no_such_chain", "names a chain that does not exist"),
        ("?chain=biomedicine&link=bio.nothing", "names a link that does not exist"),
        ("?chain=%3Cscript%3E&link=%00", "does not exist"),
        ("?chain=biomedicine&chain=x", None),  # a repeated parameter: one of them, or the first chain
    ],
)
def test_tampered_addresses_get_a_notice_and_the_first_chain(viewer, search, notice) -> None:
    tree = _page(viewer, search)
    assert _find(tree, "chains-graph") is not None
    if notice:
        assert notice in _text(tree)


def test_a_tap_opens_the_link_and_a_tampered_tap_does_nothing(app, viewer) -> None:
    client, csrf = viewer
    key = callback_key_named(app, "open_chain_link")
    ok = call(client, csrf, app, key, {"chains-graph.tapNodeData": {"id": "ei.chips", "label": "x"},
                                       "chains-state.data": {"chain": "electronic_information"}})  # fmt: skip
    assert ok.status_code == 200
    assert (
        ok.get_json()["response"]["chains-nav"]["href"]
        == "/chains?chain=electronic_information&link=ei.chips"
    )
    for tampered in ({"id": "../../admin"}, {"id": 5}, "ei.chips", None):
        r = call(client, csrf, app, key, {"chains-graph.tapNodeData": tampered, "chains-state.data": None})
        assert r.status_code in (200, 204), r.get_data(as_text=True)[:300]
        if r.status_code == 200:
            assert "chains-nav" not in r.get_json().get("response", {})


def test_the_graph_ink_follows_the_theme(app, viewer) -> None:
    client, csrf = viewer
    key = callback_key_named(app, "theme_graph")
    inks = {}
    for theme in ("wall", "desk", "tampered"):
        r = call(client, csrf, app, key, {"shell-theme.value": theme})
        sheet = r.get_json()["response"]["chains-graph"]["stylesheet"]
        inks[theme] = next(s["style"]["color"] for s in sheet if s["selector"] == "node")
    assert inks["wall"] != inks["desk"] and inks["tampered"] == inks["wall"]


def test_the_page_draws_again_only_when_the_chain_data_changes(app, viewer) -> None:
    client, csrf = viewer
    key = callback_key_named(app, "redraw_chains")
    tree = _page(viewer, "?chain=biomedicine")
    stamp = _find(tree, "chains-stamp")["props"]["data"]
    values = {"chains-stamp.data": stamp, "chains-state.data": {"chain": "biomedicine"},
              "shell-lang.value": "en", "shell-theme.value": "wall"}  # fmt: skip
    same = call(client, csrf, app, key, values)
    assert same.status_code == 204 or "chains-body" not in same.get_json().get("response", {})
    engine = app.server.extensions["onescreen"].engine
    with engine.begin() as connection:  # a sync rewrote a figure: the chain's data version moves
        some = connection.execute(select(EnterpriseFigure.pk).limit(1)).scalar_one()
        done = connection.execute(update(EnterpriseFigure).where(EnterpriseFigure.pk == some)
                                  .values(revenue=EnterpriseFigure.revenue + 1))  # fmt: skip
        assert done.rowcount == 1
    moved = call(client, csrf, app, key, values)
    assert moved.status_code == 200
    response = moved.get_json()["response"]
    assert "chains-stamp" in response, (stamp, response.keys())
    assert response["chains-stamp"]["data"] != stamp
    assert "Biomedicine" in _text(response["chains-body"]["children"])


def test_signed_out_visitors_are_refused(app) -> None:
    client = app.server.test_client()
    assert client.get("/chains").status_code in (302, 401, 403)
