"""Demo enterprises, their yearly figures and the four industrial chains with their gaps."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from demo import DemoPark, generate_park
from demo.chains import industry_classes

NOW = datetime(2026, 11, 24, 3, 7, tzinfo=UTC)
STAGE_ORDER = {"upstream": 0, "midstream": 1, "downstream": 2}


@pytest.fixture(scope="module")
def park() -> DemoPark:
    return generate_park(seed=20261124, cases=100, now=NOW)


def test_enterprises_use_real_gbt4754_classes(park: DemoPark) -> None:
    assert park.enterprises["industry_code"].isin(industry_classes()["code"]).all()
    bio = park.enterprises["industry_code"].str.startswith("27").mean()
    assert bio > 0.1, "a national biological-industry base has many pharmaceutical firms"


def test_names_look_like_registered_companies(park: DemoPark) -> None:
    e = park.enterprises
    assert e["name"].is_unique
    assert e["name"].str.match(r"^[\u4e00-\u9fff]+(股份)?有限公司$").all()
    assert e["name_en"].str.match(r"^([A-Z][a-z']+ )+.*Co\., Ltd\.$").all()


def test_chains_are_trees_of_links_from_upstream_down(park: DemoPark) -> None:
    chains = park.chains.set_index("link")
    assert chains.groupby("chain").size().between(8, 14).all()
    for link, row in chains.dropna(subset=["parent_link"]).iterrows():
        parent = chains.loc[row["parent_link"]]
        assert parent["chain"] == row["chain"], link
        assert STAGE_ORDER[parent["stage"]] <= STAGE_ORDER[row["stage"]], link
    assert (chains.loc[chains["parent_link"].isna(), "stage"] == "upstream").all()
    assert set(park.enterprises["chain_link"].dropna()) <= set(chains.index)


def test_every_chain_has_gaps_to_fill(park: DemoPark) -> None:
    counts = park.enterprises["chain_link"].value_counts().reindex(park.chains["link"], fill_value=0)
    gaps = park.chains.assign(n=counts.to_numpy())
    empty, weak = gaps[gaps["n"] == 0], gaps[gaps["n"].between(1, 2)]
    assert len(empty) >= 3 and len(weak) >= 3
    assert set(pd.concat([empty, weak])["chain"]) == set(park.chains["chain"])
    figures = park.enterprise_figures
    latest = figures[figures["year"] == figures["year"].max()].set_index("enterprise_id")["revenue"]
    weak_firms = park.enterprises[park.enterprises["chain_link"].isin(weak["link"])]["id"]
    assert latest.reindex(weak_firms).dropna().max() < latest.median() * 3


def test_figures_are_heavy_tailed_and_growing(park: DemoPark) -> None:
    f = park.enterprise_figures
    assert f["year"].min() == 2019 and f["year"].max() == NOW.year - 1
    last = f[f["year"] == f["year"].max()].sort_values("revenue", ascending=False)
    top_tenth = last["revenue"].head(len(last) // 10).sum() / last["revenue"].sum()
    assert top_tenth > 0.5
    wide = f.pivot(index="enterprise_id", columns="year", values="revenue").dropna()
    assert (wide[f["year"].max()] / wide[2019]).median() > 1.2
    assert (f[["revenue", "tax", "rd_spending"]] >= 0).all().all() and (f["employees"] >= 1).all()


def test_figures_start_in_the_founding_year(park: DemoPark) -> None:
    f = park.enterprise_figures.merge(
        park.enterprises[["id", "founded_on"]], left_on="enterprise_id", right_on="id"
    )
    founded = pd.to_datetime(f["founded_on"]).dt.year
    assert (f["year"] >= founded).all()
