"""The industry chains through the JSON API (issue 12, item 6): the chains with their summary, a
chain's links with status and findings, a link's enterprises and the ranked targets — checked
against the store's own enterprise rows, not against the chain analysis that computed them —
figures as JSON numbers or null (never NaN), and bad input answered with a message: an unknown
chain or link 404, a bad status, limit or chain in the targets query 400."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from api_checks import bearer

from services.data import snapshot


def strict_json(response) -> dict:
    """The body parsed as JSON proper: NaN or Infinity in it fails the test."""

    def refuse(name: str):
        raise AssertionError(f"{name} in the body of {response.request.path}")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


@pytest.fixture(scope="module")
def store(app) -> dict[str, pd.DataFrame]:
    """The store's chains, enterprises and yearly figures, as the adapters wrote them."""
    with app.server.app_context():
        return {c: snapshot(c).frame for c in ("chains", "enterprises", "enterprise_figures")}


@pytest.fixture(scope="module")
def chains(clients) -> dict:
    response = clients["viewer"].get("/api/v1/chains")
    assert response.status_code == 200
    return strict_json(response)


def test_every_chain_is_listed_with_its_links_counted_from_the_chains_data(chains, store):
    links = store["chains"]
    assert [c["chain"] for c in chains["chains"]] == list(dict.fromkeys(links["chain"]))
    members = store["enterprises"]["chain_link"].value_counts()
    for chain in chains["chains"]:
        own = links[links["chain"] == chain["chain"]]
        assert chain["links"] == len(own) and chain["filled"] + chain["empty"] == chain["links"]
        assert chain["filled"] == int(own["link"].isin(members.index).sum())
        assert chain["enterprises"] == int(members.reindex(own["link"]).fillna(0).sum())
        assert chain["name"] == own["chain_name"].iloc[0] and chain["name_en"] == own["chain_name_en"].iloc[0]
        staged = chain["revenue_by_stage"]
        assert set(staged) == {"upstream", "midstream", "downstream"}
        assert sum(v or 0 for v in staged.values()) == pytest.approx(chain["revenue"])


def test_the_chains_say_the_year_of_their_figures_when_they_were_computed_and_from_where(chains, store):
    assert chains["year"] == int(store["enterprise_figures"]["year"].max())
    assert chains["computed_at"].endswith("+08:00")  # the park's time zone
    assert chains["sources"] and chains["stale"] == []
    assert chains["revenue_unit"] == "10k_yuan"


def test_a_chains_links_carry_figures_status_and_findings_with_empty_figures_as_null(clients, chains, store):
    chain = chains["chains"][0]
    body = strict_json(clients["leader"].get(f"/api/v1/chains/{chain['chain']}"))
    assert body["chain"] == chain
    own = store["chains"][store["chains"]["chain"] == chain["chain"]]
    assert [link["link"] for link in body["links"]] == list(own["link"])
    assert [link["parent_link"] for link in body["links"]] == [
        None if pd.isna(p) else p for p in own["parent_link"]
    ]
    members = store["enterprises"]["chain_link"].value_counts()
    for link in body["links"]:
        assert link["enterprises"] == int(members.get(link["link"], 0))
        assert link["stage"] in ("upstream", "midstream", "downstream")
        if link["enterprises"] == 0:
            assert link["status"] == "empty" and link["findings"] == [{"code": "empty", "values": {}}]
            assert link["revenue"] is None and link["top"] is None and link["target_rank"] >= 1
        elif link["status"] == "weak":
            assert link["findings"] and link["target_rank"] >= 1
        else:
            assert link["status"] == "strong" and link["findings"] == [] and link["target_rank"] is None
    statuses = [link["status"] for link in body["links"]]
    assert statuses.count("empty") == chain["empty"] and statuses.count("weak") == chain["weak"]


def test_a_links_enterprises_are_the_stores_with_last_years_figures_largest_first(clients, chains, store):
    chain = chains["chains"][0]["chain"]
    links = strict_json(clients["viewer"].get(f"/api/v1/chains/{chain}"))["links"]
    link = max(links, key=lambda row: row["enterprises"])
    body = strict_json(clients["viewer"].get(f"/api/v1/chains/{chain}/links/{link['link']}"))
    assert body["link"] == link
    firms = store["enterprises"][store["enterprises"]["chain_link"] == link["link"]]
    assert sorted(e["id"] for e in body["enterprises"]) == sorted(firms["id"])
    figures = store["enterprise_figures"]
    last = figures[figures["year"] == figures["year"].max()].set_index("enterprise_id")
    for firm in body["enterprises"]:
        if firm["id"] in last.index:
            assert firm["revenue"] == pytest.approx(float(last.at[firm["id"], "revenue"]))
            assert firm["employees"] == int(last.at[firm["id"], "employees"])
        else:  # no figures last year: nulls, not NaN, and no size class
            assert firm["revenue"] is None and firm["employees"] is None and firm["size"] is None
    revenue = [e["revenue"] for e in body["enterprises"] if e["revenue"] is not None]
    assert revenue == sorted(revenue, reverse=True) and len(revenue) >= 2


def test_an_enterprise_without_last_years_figures_reads_null(clients, chains, store):
    figures = store["enterprise_figures"]
    reported = set(figures.loc[figures["year"] == figures["year"].max(), "enterprise_id"])
    firms = store["enterprises"]
    silent = firms[~firms["id"].isin(reported) & firms["chain_link"].notna()].iloc[0]
    chain = store["chains"].set_index("link").at[silent["chain_link"], "chain"]
    body = strict_json(clients["viewer"].get(f"/api/v1/chains/{chain}/links/{silent['chain_link']}"))
    firm = next(e for e in body["enterprises"] if e["id"] == silent["id"])
    assert firm["revenue"] is None and firm["growth"] is None and firm["size"] is None


def test_an_unknown_chain_or_link_is_404_with_the_ones_there_are(clients, chains):
    first, second = chains["chains"][0]["chain"], chains["chains"][1]["chain"]
    client = clients["viewer"]
    missing = client.get("/api/v1/chains/atlantis")
    assert missing.status_code == 404 and first in missing.get_json()["message"]
    assert client.get("/api/v1/chains/atlantis/links/x").status_code == 404
    other = strict_json(client.get(f"/api/v1/chains/{second}"))["links"][0]["link"]
    wrong_chain = client.get(f"/api/v1/chains/{first}/links/{other}")
    assert wrong_chain.status_code == 404
    assert f"no link '{other}' in chain '{first}'" in wrong_chain.get_json()["message"]


def test_targets_are_ranked_best_first_and_filtered_by_chain_status_and_limit(clients, chains):
    client = clients["department_head"]  # park-wide data: a department head reads it whole
    every = strict_json(client.get("/api/v1/chain-targets"))["targets"]
    assert [t["rank"] for t in every] == list(range(1, len(every) + 1))
    scores = [t["score"] for t in every]
    assert scores == sorted(scores, reverse=True)
    assert len(every) == sum(c["empty"] + c["weak"] for c in chains["chains"])
    assert all(t["findings"] and t["target_rank"] == t["rank"] for t in every)
    empty = strict_json(client.get("/api/v1/chain-targets?status=empty"))["targets"]
    assert empty and {t["status"] for t in empty} == {"empty"}
    assert [t["link"] for t in empty] == [t["link"] for t in every if t["status"] == "empty"]
    chain = chains["chains"][0]["chain"]
    one = strict_json(client.get(f"/api/v1/chain-targets?chain={chain}&status=weak&limit=2"))["targets"]
    expected = [t for t in every if t["chain"] == chain and t["status"] == "weak"][:2]
    assert one == expected and len(one) == 2


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("status=strong", "status"),
        ("status=", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("chain=atlantis", "no chain 'atlantis'"),
        ("limit=2&limit=3", "give this parameter once"),
        ("sort=score", "sort"),
    ],
)
def test_a_bad_targets_query_is_400_naming_the_parameter(clients, query, words):
    response = clients["viewer"].get(f"/api/v1/chain-targets?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "bad request" and words in body["message"]


def test_a_token_reads_the_chains_and_the_document_describes_them(app, leader_token):
    client = app.server.test_client()
    assert client.get("/api/v1/chains", headers=bearer(leader_token)).status_code == 200
    paths = client.get("/api/v1/openapi.json", headers=bearer(leader_token)).get_json()["paths"]
    for path in (
        "/api/v1/chains",
        "/api/v1/chains/{chain}",
        "/api/v1/chains/{chain}/links/{link}",
        "/api/v1/chain-targets",
    ):
        assert path in paths, path
    assert {p["name"] for p in paths["/api/v1/chain-targets"]["get"]["parameters"]} >= {
        "chain",
        "status",
        "limit",
    }
