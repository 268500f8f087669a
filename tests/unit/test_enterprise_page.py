"""The enterprise page over HTTP as the browser's renderer calls it: a profile drawn by the
router from its URL in both languages, the search box's callback, and every tampered URL or
bad search answered with words, never a trace. A viewer sees the counts of cases near a firm
only; a reader of records sees them listed with links to each case."""

from __future__ import annotations

import json

import pytest
from apps import build_app
from dash_calls import call, output_named
from signin import signed_in

from services.data import snapshot

ROUTER = ".._pages_content.children..._pages_store.data.."


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("enterprise-page"), demo_cases=4000)


@pytest.fixture(scope="module")
def firms(app):
    with app.server.app_context():
        return snapshot("enterprises").frame


@pytest.fixture(scope="module")
def leader(app):
    return signed_in(app, "leader")


@pytest.fixture(scope="module")
def viewer(app):
    return signed_in(app, "viewer")


def _page(session, search: str, lang: str = "en") -> str:
    client, csrf = session
    values = {
        "_pages_location.pathname": "/enterprise",
        "_pages_location.search": search,
        "shell-lang.value": lang,
    }
    body = {
        "output": ROUTER,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": k.split(".")[0], "property": k.split(".")[1], "value": v} for k, v in values.items()
        ],
        "changedPropIds": ["_pages_location.search"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.dumps(response.get_json()["response"]["_pages_content"]["children"], ensure_ascii=False)


def _search(app, session, text, lang: str = "en") -> str:
    client, csrf = session
    values = {"enterprise-query.value": text, "shell-lang.value": lang}
    response = call(client, csrf, app, output_named(app, "enterprise-results.children"), values)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.dumps(response.get_json()["response"], ensure_ascii=False)


def _linked(firms):
    return firms.dropna(subset=["chain_link"]).iloc[3]


def test_a_profile_shows_who_the_firm_is_its_link_and_where_it_stands_in_both_languages(leader, firms):
    firm = _linked(firms)
    english = _page(leader, f"?id={firm['id']}", "en")
    assert firm["name_en"] in english and firm["credit_code"] in english
    assert f"/chains?link={firm['chain_link']}" in english
    assert "the median of" in english and "Figures over the years" in english
    assert "enterprise-place-map" in english  # the small map of its location
    chinese = _page(leader, f"?id={firm['id']}", "zh")
    assert firm["name"] in chinese and "中位数" in chinese and "历年经营数据" in chinese


def test_a_reader_of_records_sees_the_cases_nearby_with_links_a_viewer_their_count_only(
    leader, viewer, firms
):
    firm = firms.iloc[130]
    listed = _page(leader, f"?id={firm['id']}")
    assert "/cases?case=" in listed and "Cases reported within 150 m" in listed
    counted = _page(viewer, f"?id={firm['id']}")
    assert "/cases?case=" not in counted and "/alerts?alert=" not in counted
    assert "Cases reported within 150 m" in counted and "read-records permission" in counted


@pytest.mark.parametrize(
    ("search", "words"),
    [
        ("?id=ENT-NO-SUCH", "The park has no enterprise ENT-NO-SUCH."),
        ("?id=ENT0001&id=ENT0002", "cannot be read"),
        ("?id=" + "X" * 200, "cannot be read"),
        ("?id=%3Cscript%3E", "The park has no enterprise <script>."),
    ],
)
def test_a_tampered_address_is_answered_in_words(leader, search, words):
    assert words in _page(leader, search)


def test_the_search_page_without_an_id_offers_the_search_and_a_query_in_the_url_lists_results(
    app, leader, firms
):
    with app.server.app_context():
        figures = snapshot("enterprise_figures").frame
    last = figures[figures["year"] == figures["year"].max()]
    top = last.sort_values("revenue", ascending=False)["enterprise_id"].iloc[0]
    landing = _page(leader, "")
    assert "Type part of an enterprise" in landing and "largest enterprises by revenue" in landing
    assert f"/enterprise?id={top}" in landing
    firm = firms.iloc[10]
    listed = _page(leader, f"?q={firm['credit_code']}")
    assert f"/enterprise?id={firm['id']}" in listed


def test_the_search_box_finds_by_name_and_refuses_a_mistyped_code_with_the_reason(app, leader, firms):
    firm = firms.iloc[20]
    found = _search(app, leader, firm["name_en"].split()[1].lower())
    assert f"/enterprise?id={firm['id']}" in found and "enterprises found" in found
    code = firm["credit_code"]
    wrong = "0" if code[17] != "0" else "1"
    refused = _search(app, leader, code[:17] + wrong, "zh")
    assert "不是有效的统一社会信用代码" in refused and f"不是“{wrong}”" in refused
    assert "/enterprise?id=" not in refused
    assert "No enterprise matches" in _search(app, leader, "zzzz-no-such-firm")
    assert "Type part of" in _search(app, leader, "")


@pytest.mark.parametrize("value", [["a", "b"], {"x": 1}, 12345, None])
def test_a_tampered_search_value_reads_as_no_search(app, leader, value):
    assert "Type part of" in _search(app, leader, value)


def test_the_policies_a_firm_matches_are_listed_with_their_status_and_a_link(app, leader, firms):
    from services.policies import policies_for

    with app.server.app_context():
        firm, matched = next((f, m) for f in firms["id"] if (m := policies_for(f)))
    page = _page(leader, f"?id={firm}")
    first = matched[0]
    assert first.name_en in page and f"/policies?policy={first.policy_id}" in page
    assert {"qualifies": "Qualifies", "nearly": "Nearly", "no_figures": "Figures missing"}[
        first.status
    ] in page
