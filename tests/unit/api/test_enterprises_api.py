"""Enterprises through the JSON API (issue 12, item 3): the list searched, filtered and paged, one
enterprise's profile — checked against the store's own enterprise rows and yearly figures — with
figures as JSON numbers or null (never NaN), and bad input answered with a message: an unknown
id 404, a limit out of range, an unknown chain or link, a mistyped credit code, an unknown or
repeated parameter 400."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from api_checks import bearer

from services.data import snapshot


def strict_json(response) -> dict:
    def refuse(name: str):
        raise AssertionError(f"{name} in the body of {response.request.path}")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


@pytest.fixture(scope="module")
def store(app) -> dict[str, pd.DataFrame]:
    with app.server.app_context():
        return {c: snapshot(c).frame for c in ("chains", "enterprises", "enterprise_figures")}


def test_the_list_pages_through_every_enterprise_by_id(clients, store):
    first = strict_json(clients["viewer"].get("/api/v1/enterprises?limit=100"))
    second = strict_json(clients["viewer"].get("/api/v1/enterprises?limit=100&offset=100"))
    assert first["total"] == len(store["enterprises"]) == second["total"]
    ids = [e["id"] for e in first["enterprises"] + second["enterprises"]]
    assert ids == sorted(store["enterprises"]["id"])[:200]
    assert first["revenue_unit"] == "10k_yuan" and first["computed_at"].endswith("+08:00")


def test_a_listed_enterprise_carries_its_own_rows_and_last_years_figures(clients, store):
    firm = store["enterprises"].dropna(subset=["chain_link"]).iloc[11]
    body = strict_json(clients["leader"].get(f"/api/v1/enterprises?q={firm['credit_code']}"))
    assert body["total"] == 1
    row = body["enterprises"][0]
    assert (row["id"], row["name"], row["name_en"]) == (firm["id"], firm["name"], firm["name_en"])
    assert row["chain_link"] == firm["chain_link"] and row["industry_code"] == firm["industry_code"]
    figures = store["enterprise_figures"]
    last = figures[(figures["enterprise_id"] == firm["id"]) & (figures["year"] == figures["year"].max())]
    if len(last):
        assert row["revenue"] == pytest.approx(float(last["revenue"].iloc[0]))
    link = store["chains"].set_index("link").loc[firm["chain_link"]]
    assert row["link_name"] == link["name"] and row["chain_name"] == link["chain_name"]
    assert row["industry_name"]


def test_the_list_filters_by_chain_and_link_and_searches_names(clients, store):
    link = store["chains"]["link"].iloc[2]
    body = strict_json(clients["viewer"].get(f"/api/v1/enterprises?link={link}&limit=100"))
    assert body["total"] == int((store["enterprises"]["chain_link"] == link).sum())
    assert {e["chain_link"] for e in body["enterprises"]} == {link}
    firm = store["enterprises"].iloc[3]
    word = firm["name_en"].split()[1]
    found = strict_json(clients["viewer"].get(f"/api/v1/enterprises?q={word.lower()}&limit=100"))
    assert found["total"] == int(
        store["enterprises"]["name_en"].str.contains(word, case=False, regex=False).sum()
    )


def test_a_profile_has_the_history_and_the_comparisons_with_its_link(clients, store):
    firm = store["enterprises"].dropna(subset=["chain_link"]).iloc[4]
    body = strict_json(clients["viewer"].get(f"/api/v1/enterprises/{firm['id']}"))
    own = store["enterprise_figures"][store["enterprise_figures"]["enterprise_id"] == firm["id"]]
    assert [h["year"] for h in body["history"]] == sorted(own["year"].tolist())
    assert body["enterprise"]["credit_code"] == firm["credit_code"]
    measures = [c["measure"] for c in body["comparisons"]]
    assert measures == ["revenue", "revenue_growth", "rd_share", "employees", "patents", "tax"]
    peers = store["enterprises"].loc[store["enterprises"]["chain_link"] == firm["chain_link"], "id"]
    figures = store["enterprise_figures"]
    last = figures[figures["year"] == figures["year"].max()].set_index("enterprise_id")
    employees = pd.to_numeric(last["employees"].reindex(peers), errors="coerce").dropna()
    by = {c["measure"]: c for c in body["comparisons"]}
    assert by["employees"]["count"] == len(employees)
    assert by["employees"]["median"] == pytest.approx(float(employees.median()))
    assert "cases" not in body and "alerts" not in body  # single records: /cases, /alerts


def test_a_token_reads_the_list_as_its_role_does(app, leader_token):
    response = app.server.test_client().get("/api/v1/enterprises?limit=1", headers=bearer(leader_token))
    assert response.status_code == 200 and len(strict_json(response)["enterprises"]) == 1


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/v1/enterprises/ENT-NO-SUCH", 404, "no enterprise 'ENT-NO-SUCH'"),
        ("/api/v1/enterprises/" + "E" * 80, 404, "no enterprise"),
        ("/api/v1/enterprises?limit=0", 400, "limit"),
        ("/api/v1/enterprises?limit=101", 400, "limit"),
        ("/api/v1/enterprises?limit=ten", 400, "limit"),
        ("/api/v1/enterprises?offset=-1", 400, "offset"),
        ("/api/v1/enterprises?chain=atlantis", 400, "unknown chain 'atlantis'"),
        ("/api/v1/enterprises?link=no.such", 400, "unknown link 'no.such'"),
        ("/api/v1/enterprises?q=91130171MAANXA3L4C", 400, "not a valid credit code: 91130171MAANXA3L4C"),
        ("/api/v1/enterprises?q=" + "x" * 101, 400, "q"),
        ("/api/v1/enterprises?q=a&q=b", 400, "give this parameter once"),
        ("/api/v1/enterprises?department=urban_management", 400, "department"),
    ],
)
def test_bad_input_is_answered_with_its_reason(clients, path, status, words):
    response = clients["leader"].get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    assert words in response.get_json()["message"]


def test_the_enterprise_endpoints_are_in_the_openapi_document(clients):
    spec = clients["viewer"].get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/enterprises", "/api/v1/enterprises/{enterprise_id}"} <= set(spec["paths"])
    listed = spec["paths"]["/api/v1/enterprises"]["get"]
    assert {"q", "chain", "link", "limit", "offset"} <= {p["name"] for p in listed["parameters"]}
    assert (
        "400" in listed["responses"]
        and "404" in spec["paths"]["/api/v1/enterprises/{enterprise_id}"]["get"]["responses"]
    )
