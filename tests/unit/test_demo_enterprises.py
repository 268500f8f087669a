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


def _last_year(park: DemoPark) -> pd.DataFrame:
    f = park.enterprise_figures
    last = f[f["year"] == f["year"].max()]
    return last.merge(park.enterprises, left_on="enterprise_id", right_on="id")


def test_park_economy_fits_a_21_km2_core(park: DemoPark) -> None:
    """About 2,000 firms employ 60,000–120,000 people and earn 80–150 billion yuan a year
    (Changsha High-tech Zone, far larger, earned about 282 billion in 2020)."""
    last = _last_year(park)
    assert 60_000 <= last["employees"].sum() <= 120_000
    assert 8_000_000 <= last["revenue"].sum() <= 15_000_000  # 10,000 yuan
    assert 0.03 <= last["tax"].sum() / last["revenue"].sum() <= 0.08


def test_largest_firms_employ_a_few_thousand(park: DemoPark) -> None:
    f = park.enterprise_figures.merge(park.enterprises, left_on="enterprise_id", right_on="id")
    pharma = f["industry_code"].str.startswith("27")
    assert f.loc[pharma, "employees"].max() <= 8_000
    assert f.loc[~pharma, "employees"].max() <= 5_000
    assert f["revenue"].max() <= 1_000_000  # 10 billion yuan
    last = _last_year(park)
    top = last.loc[last["revenue"].idxmax()]
    assert top["chain"] == "biomedicine" and top["employees"] >= 2_000, "a drug maker leads the park"


def test_rd_is_one_to_eight_percent_of_revenue_and_highest_in_pharma_and_electronics(park: DemoPark) -> None:
    last = _last_year(park)
    sizable = last[last["revenue"] >= 1_000]  # rounding to 0.1 blurs the smallest firms' shares
    share = sizable["rd_spending"] / sizable["revenue"]
    assert share.between(0.0099, 0.0801).all()
    by_chain = last.groupby(last["chain"].fillna("none"))[["rd_spending", "revenue"]].sum()
    intensity = by_chain["rd_spending"] / by_chain["revenue"]
    leaders = intensity[["biomedicine", "electronic_information"]].min()
    assert leaders > intensity.drop(["biomedicine", "electronic_information"]).max()


def test_patents_follow_rd_spending(park: DemoPark) -> None:
    f = park.enterprise_figures
    assert f["rd_spending"].rank().corr(f["patents"].rank()) > 0.6  # Spearman
    by_size = f.groupby(pd.qcut(f["rd_spending"], 4, labels=False))["patents"].mean()
    assert by_size.is_monotonic_increasing
