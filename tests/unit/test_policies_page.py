"""The Policies page and the policy endpoints on the demo park, over HTTP as the browser's
renderer and an API client call them: the list with its counts, a policy's lists with the
missed figure and its margin, links to the enterprise profile, the exports (audited, refused to
whoever may not export), policies_for as the enterprise profile reads it, and every tampered
URL, state or query answered with a message, a 404 or a 422, never a trace."""

from __future__ import annotations

import base64
import io
import json

import pandas as pd
import pytest
from apps import build_app
from dash_calls import call, callback_key_named, router_page
from signin import signed_in

from components.policy_words import reason_text
from domain.policies import NoFigures, Shortfall
from security import audit
from security.audit import AuditFilter


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("policies-page"), demo_cases=200)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def leader(app):
    return signed_in(app, "leader")


@pytest.fixture(scope="module")
def duty(app):
    return signed_in(app, "duty_officer")


def _page(session, search: str = "", lang: str = "en"):
    return router_page(session, "/policies", search, lang)


def _find(tree, component_id: str):
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        for value in tree.values():
            if (found := _find(value, component_id)) is not None:
                return found
    elif isinstance(tree, list):
        for item in tree:
            if (found := _find(item, component_id)) is not None:
                return found
    return None


def _grid_rows(tree) -> list[dict]:
    grid = _find(tree, "policies-grid")
    assert grid is not None
    return grid["props"]["rowData"]


def _export(session, app, button: str, state):
    client, csrf = session
    values = {f"policies-export-{button}.n_clicks": 1, "policies-state.data": state, "shell-lang.value": "en"}
    key = callback_key_named(app, "on_policies_export")
    return call(client, csrf, app, key, values, f"policies-export-{button}.n_clicks")


def test_the_page_lists_every_policy_with_its_counts_and_shows_the_first(leader):
    tree = _page(leader)
    text = json.dumps(tree, ensure_ascii=False)
    assert "High and New Technology Enterprise (revenue under 50 million yuan)" in text
    assert "Expired 2022-12-31" in text and " qualify · " in text
    rows = _grid_rows(tree)
    assert rows and all(r["name"].startswith("[") and "](/enterprise?id=" in r["name"] for r in rows)
    assert "reason" not in rows[0] or not rows[0]["reason"]


def test_the_nearly_list_says_which_figure_is_missed_and_by_how_much(leader):
    rows = _grid_rows(_page(leader, "?policy=hnte_small&status=nearly"))
    assert rows
    assert any(
        "R&D share" in r["reason"] and "needs 5.0%" in r["reason"] and "points short" in r["reason"]
        for r in rows
    )
    zh = _grid_rows(_page(leader, "?policy=hnte_small&status=nearly", lang="zh"))
    assert any("研发投入占比" in r["reason"] and "个百分点" in r["reason"] for r in zh)


@pytest.mark.parametrize(
    ("search", "words"),
    [
        ("?policy=no_such_policy", "does not exist (no_such_policy)"),
        ("?policy=<script>", "does not exist (<script>)"),
        ("?policy=hnte_small&status=everyone", "list that does not exist (everyone)"),
        ("?policy=a&policy=b", "does not exist"),
    ],
)
def test_a_tampered_url_shows_a_message_and_the_nearest_view(leader, search, words):
    tree = _page(leader, search)
    assert words in json.dumps(tree, ensure_ascii=False)
    assert _grid_rows(tree) is not None


def test_the_lists_export_as_csv_and_xlsx_and_each_is_audited(app, leader, engine):
    before = audit.count(engine, AuditFilter(actions=("export",), target="policy:innovative_drug"))
    state = {"policy": "innovative_drug", "status": "qualifies"}
    answer = _export(leader, app, "csv", state).get_json()["response"]["policies-download"]["data"]
    assert answer["filename"].startswith("policy-innovative_drug-") and answer["filename"].endswith(".csv")
    raw = base64.b64decode(answer["content"]) if answer.get("base64") else answer["content"].encode()
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert {"Status", "Enterprise", "R&D share (%)", "What is missing"} <= set(frame.columns)
    assert set(frame["Status"]) <= {"Qualify", "Nearly qualify", "Figures missing"}
    near = frame[frame["Status"] == "Nearly qualify"]
    assert len(near) and near["What is missing"].str.contains("short").all()
    answer = _export(leader, app, "xlsx", state).get_json()["response"]["policies-download"]["data"]
    workbook = pd.read_excel(io.BytesIO(base64.b64decode(answer["content"])))
    assert len(workbook) == len(frame)
    assert (
        audit.count(engine, AuditFilter(actions=("export",), target="policy:innovative_drug")) == before + 2
    )


def test_a_tampered_export_state_is_refused_in_words_and_a_duty_officer_may_not_export(app, leader, duty):
    response = _export(leader, app, "csv", {"policy": "../etc/passwd"})
    assert response.status_code == 200
    assert (
        "does not exist" in json.dumps(response.get_json()["response"])
        and "policies-download" not in response.get_json()["response"]
    )
    assert _export(leader, app, "csv", "not a dict").status_code == 200
    assert _export(duty, app, "csv", {"policy": "innovative_drug"}).status_code == 403
    assert "policies-export-csv" not in json.dumps(_page(duty))


def test_the_api_lists_policies_and_a_policys_enterprises(leader):
    client, _ = leader
    listed = client.get("/api/v1/policies").get_json()
    assert len(listed["policies"]) == 12 and listed["year"] == 2025
    first = listed["policies"][0]
    assert first["name"]["zh"] and first["name"]["en"] and first["bounds"][0]["unit"]
    assert first["counts"]["qualifies"] > 0
    nearly = client.get("/api/v1/policies/hnte_small/enterprises?status=nearly").get_json()
    assert nearly["status"] == "nearly" and nearly["enterprises"]
    assert {e["status"] for e in nearly["enterprises"]} == {"nearly"}
    reason = nearly["enterprises"][0]["reasons"][0]
    assert reason["kind"] == "shortfall" and reason["gap"] > 0 and reason["unit"]
    assert reason_text(reason, "en").endswith(("short", "over"))  # the API's reasons read as the page's
    everyone = client.get("/api/v1/policies/hnte_small/enterprises").get_json()["enterprises"]
    assert len(everyone) == sum(first["counts"].values())


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/v1/policies/no_such/enterprises", 404, "no policy 'no_such'"),
        ("/api/v1/policies/hnte_small/enterprises?status=all", 422, "status"),
        (
            "/api/v1/policies/hnte_small/enterprises?status=nearly&status=qualifies",
            422,
            "give this parameter once",
        ),
        ("/api/v1/policies/hnte_small/enterprises?limit=5", 422, "limit"),
        ("/api/v1/policies?lang=fr", 422, "lang"),
    ],
)
def test_a_tampered_api_query_is_refused_with_a_message(leader, path, status, words):
    response = leader[0].get(path)
    assert response.status_code == status
    assert words in response.get_json()["message"]


def test_policies_for_an_enterprise_as_its_profile_reads_them(app):
    from services.policies import matches, policies_for

    with app.server.test_request_context():
        near = matches("hnte_small", "nearly").iloc[0]
        found = policies_for(near["id"])
        mine = next(m for m in found if m.policy_id == "hnte_small")
        assert mine.status == "nearly" and mine.name and mine.name_en and mine.benefit_en
        assert isinstance(mine.reasons[0], Shortfall | NoFigures)
        assert all(m.policy_id != "sme_rent_relief_2022" for m in found)  # expired: not offered
        assert policies_for("NO-SUCH-FIRM") == []


@pytest.mark.parametrize(
    ("reason", "lang", "text"),
    [
        (Shortfall("rd_share", "min", 0.026, 0.03, 0.004, "share"), "en", "R&D share 2.6%, needs 3.0%: 0.4 points short"),
        (Shortfall("rd_share", "min", 0.026, 0.03, 0.004, "share"), "zh", "研发投入占比2.6%，需达到3.0%：差0.4个百分点"),
        (Shortfall("age_years", "max", 3.4, 3.0, 0.4, "years"), "en", "Age 3.4 years, at most 3 years: 0.4 years over"),
        (Shortfall("revenue", "max", 5267.1, 5000.0, 267.1, "wan_yuan"), "zh", "营业收入5,267 万元，上限5,000 万元：超出267 万元"),
        (Shortfall("chain_rank", "max", 4.0, 3.0, 1.0, "rank"), "en", "Place in its chain by revenue No. 4, at most No. 3: 1 places over"),
        (Shortfall("rd_share", "min", 0.0498, 0.05, 0.0002, "share"), "en", "R&D share 4.98%, needs 5.00%: 0.02 points short"),
        (Shortfall("age_years", "max", 3.04, 3.0, 0.04, "years"), "zh", "成立年限3.04年，上限3年：超出0.04年"),
        (Shortfall("revenue", "max", 5000.3, 5000.0, 0.3, "wan_yuan"), "zh", "营业收入5,000.30 万元，上限5,000.00 万元：超出0.30 万元"),
        (NoFigures("rd_share", 2025), "en", "No R&D figures for 2025"),
        (NoFigures("age_years", 2025), "zh", "缺少成立日期"),
        (NoFigures("year", 2025), "en", "No figures at all for 2025"),
    ],
)  # fmt: skip
def test_reasons_in_words(reason, lang, text):
    assert reason_text(reason, lang) == text


def test_the_openapi_document_describes_both_endpoints(leader):
    spec = leader[0].get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/policies", "/api/v1/policies/{policy_id}/enterprises"} <= set(spec["paths"])
    get = spec["paths"]["/api/v1/policies/{policy_id}/enterprises"]["get"]
    status = next(p for p in get["parameters"] if p["name"] == "status")
    assert status["schema"]["enum"] == ["qualifies", "nearly", "no_figures"]
    assert {"200", "404", "422"} <= set(get["responses"])
