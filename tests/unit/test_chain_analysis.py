"""The chain model's facts and gap analysis on small hand-made chains, and on the demo park."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from demo.chains import chain_links
from demo.park import generate_park
from domain.chain_analysis import GapRules, RulesError, chain_summary, link_figures, parse_rules, targets
from domain.credit_code import check_character, problem
from domain.enterprise_facts import enterprise_facts, history
from domain.enterprise_sizes import size_class

TODAY = date(2026, 12, 7)
LINKS = pd.DataFrame(
    [
        # chain a: up -> mid -> down, plus an empty link fed by up
        ("a", "A", "a.up", "upstream", None),
        ("a", "A", "a.mid", "midstream", "a.up"),
        ("a", "A", "a.down", "downstream", "a.mid"),
        ("a", "A", "a.gap", "midstream", "a.up"),
        ("a", "A", "a.lone", "upstream", None),
    ],
    columns=["chain", "chain_name", "link", "stage", "parent_link"],
).assign(chain_name_en="Chain A", name=lambda f: f["link"], name_en=lambda f: f["link"])


def _firm(i: int, link: str | None, code: str = "2720", founded: str = "2015-01-01") -> dict:
    return {"id": f"E{i}", "name": f"企业{i}", "name_en": f"Firm {i}", "credit_code": None,
            "founded_on": founded, "industry_code": code, "chain_link": link, "lon": 114.6, "lat": 38.0}  # fmt: skip


def _figures(rows: list[tuple[str, int, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "enterprise_id": e,
                "year": y,
                "revenue": r,
                "tax": r * 0.05,
                "employees": n,
                "rd_spending": r * 0.04,
                "patents": 1,
            }
            for e, y, r, n in rows
        ]  # fmt: skip
    )


@pytest.fixture
def facts() -> pd.DataFrame:
    firms = [_firm(i, "a.up") for i in range(1, 5)] + [
        _firm(5, "a.mid"),
        _firm(6, "a.mid"),
        _firm(7, "a.mid"),
    ]
    firms += [
        _firm(8, "a.down"),
        _firm(9, "a.down"),
        _firm(10, "a.down"),
        _firm(11, "a.lone"),
        _firm(12, None),
    ]
    firms.append(_firm(13, "nowhere"))  # a link no chain has: outside the chains, not a crash
    rows = []
    for i in range(1, 5):
        rows += [(f"E{i}", 2024, 1000.0, 50), (f"E{i}", 2025, 1100.0, 50)]  # up: +10 %
    rows += [("E5", 2024, 9000.0, 400), ("E5", 2025, 9000.0, 400)]  # mid: E5 holds 90 %
    rows += [("E6", 2025, 500.0, 30), ("E7", 2025, 500.0, 30)]  # no previous year: not like for like
    for i in (8, 9, 10):
        rows += [(f"E{i}", 2024, 1000.0, 40), (f"E{i}", 2025, 800.0, 40)]  # down: -20 %
    rows += [("E11", 2025, 2000.0, 80), ("E12", 2025, 100.0, 5), ("E13", 2025, 100.0, 5)]
    return enterprise_facts(pd.DataFrame(firms), _figures(rows), LINKS, TODAY)


def test_facts_take_the_latest_year_and_its_growth(facts: pd.DataFrame) -> None:
    one = facts.set_index("id").loc["E1"]
    assert (one["year"], one["revenue"], one["revenue_previous"]) == (2025, 1100.0, 1000.0)
    assert one["revenue_growth"] == pytest.approx(0.1)
    assert one["rd_share"] == pytest.approx(0.04)
    assert one["patents_total"] == 2
    assert (one["chain"], one["stage"]) == ("a", "upstream")
    assert one["age_years"] == pytest.approx(11.93, abs=0.01)
    assert facts.set_index("id").loc["E13", "chain_link"] is None or pd.isna(
        facts.set_index("id").loc["E13", "chain_link"]
    )


def test_links_are_empty_weak_or_strong_with_their_reasons(facts: pd.DataFrame) -> None:
    figures = link_figures(LINKS, facts, GapRules()).set_index("link")
    assert figures.loc["a.up", "status"] == "strong"
    assert figures.loc["a.up", "growth"] == pytest.approx(0.1)
    assert figures.loc["a.gap", "status"] == "empty"
    assert [f.code for f in figures.loc["a.gap", "findings"]] == ["empty"]
    mid = {f.code: f.values for f in figures.loc["a.mid", "findings"]}
    assert figures.loc["a.mid", "status"] == "weak"
    assert mid["concentrated"]["share"] == pytest.approx(0.9) and mid["concentrated"]["name"] == "企业5"
    assert "falling" not in mid  # E6 and E7 have no previous year: growth is E5's alone, 0 %
    down = {f.code: f.values for f in figures.loc["a.down", "findings"]}
    assert down["falling"]["growth"] == pytest.approx(-0.2)
    lone = {f.code for f in figures.loc["a.lone", "findings"]}
    assert lone == {"alone"}  # a single firm: "alone" says it, "few" would repeat it


def test_targets_rank_by_the_market_next_to_them(facts: pd.DataFrame) -> None:
    rules = GapRules()
    ranked = targets(link_figures(LINKS, facts, rules), rules)
    assert set(ranked["link"]) == {"a.gap", "a.mid", "a.down", "a.lone"}
    gap = ranked.set_index("link").loc["a.gap"]
    assert gap["upstream"] == ["a.up"] and gap["downstream"] == []
    assert gap["market"] == pytest.approx(4400.0) and gap["score"] == pytest.approx(4400.0)
    mid = ranked.set_index("link").loc["a.mid"]  # fed by up (4,400), feeds down (2,400); concentrated 0.5
    assert mid["score"] == pytest.approx((4400 + 2400) * 0.5)
    lone = ranked.set_index("link").loc["a.lone"]  # no neighbour: the chain's average link
    assert lone["market"] == pytest.approx((4400 + 10000 + 2400 + 0 + 2000) / 5)
    assert list(ranked["rank"]) == [1, 2, 3, 4]
    assert ranked["score"].is_monotonic_decreasing


def test_chain_summary_counts_links_and_revenue_by_stage(facts: pd.DataFrame) -> None:
    summary = chain_summary(link_figures(LINKS, facts, GapRules())).set_index("chain").loc["a"]
    assert (summary["links"], summary["filled"], summary["empty"], summary["weak"]) == (5, 4, 1, 3)
    assert summary["revenue_upstream"] == pytest.approx(6400.0)
    assert summary["revenue_midstream"] == pytest.approx(10000.0)


def test_demo_park_chains_show_the_gaps_it_was_built_with() -> None:
    park = generate_park(cases=100, now=datetime(2026, 12, 7, 8, tzinfo=UTC))
    links = chain_links()
    facts = enterprise_facts(park.enterprises, park.enterprise_figures, links, TODAY)
    figures = link_figures(links, facts, GapRules()).set_index("link")
    built_empty = set(links.loc[links["target"] == "empty", "link"])
    assert set(figures.index[figures["status"] == "empty"]) == built_empty
    for link in links.loc[links["target"] == "weak", "link"]:
        assert figures.loc[link, "status"] == "weak"
        assert {f.code for f in figures.loc[link, "findings"]} & {"few", "alone"}
    assert facts["credit_code"].map(problem).isna().all()
    assert facts["credit_code"].is_unique


def test_history_has_growth_per_year() -> None:
    rows = history(_figures([("E1", 2023, 100.0, 5), ("E1", 2024, 150.0, 6), ("E2", 2024, 1.0, 1)]), "E1")
    assert list(rows["year"]) == [2023, 2024]
    assert pd.isna(rows["revenue_growth"].iloc[0]) and rows["revenue_growth"].iloc[1] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("code", "employees", "revenue", "size"),
    [
        ("2720", 1200, 50000, "large"),
        ("2720", 1200, 1000, "small"),  # large by people, small by revenue: both must hold
        ("2720", 15, 50000, "micro"),
        ("6513", 120, 1500, "medium"),  # software: its own thresholds
        ("7224", 50, None, "small"),  # business services: people alone
        ("4700", None, 7000, "medium"),  # construction: revenue alone
        ("2720", None, 1.0, None),  # a measure the rule needs is missing
    ],
)
def test_size_classes_follow_the_2017_statistical_rule(code, employees, revenue, size) -> None:
    assert size_class(code, employees, revenue) == size


def test_credit_codes_check_their_last_character() -> None:
    for real in ("91110000802100433B", "91350100M000100Y43", "9144030071526726XG"):
        assert problem(real) is None
    assert "check character" in problem("91110000802100433C")
    assert "not 18" in problem("9111000080210043")
    assert "'I'" in problem("9111000080210043IB")
    assert check_character("91110000802100433") == "B"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([1, 2], "mapping"),
        ({"few": 3}, "unknown key 'few'"),
        ({"concentration": 1.5}, "between 0 and 1"),
        ({"falling": "a lot"}, "must be a number"),
        ({"weights": {"bogus": 1}}, "unknown finding 'bogus'"),
        ({"weights": {"empty": -1}}, "≥ 0"),
    ],
)
def test_malformed_rules_name_the_key(data, words) -> None:
    with pytest.raises(RulesError, match=words):
        parse_rules(data)


def test_rules_file_overrides_defaults() -> None:
    rules = parse_rules({"few_enterprises": 5, "weights": {"falling": 0.9}})
    assert rules.few_enterprises == 5 and rules.weights["falling"] == 0.9 and rules.weights["empty"] == 1.0


def test_chain_economy_is_like_for_like(facts: pd.DataFrame) -> None:
    from domain.chain_analysis import chain_economy

    economy = chain_economy(facts).set_index("chain")
    a = economy.loc["a"]
    # revenue of every firm in a chain link last year; growth over the firms with both years
    assert a["revenue"] == pytest.approx(4400 + 10000 + 2400 + 2000)
    assert a["revenue_growth"] == pytest.approx((4400 + 9000 + 2400) / (4000 + 9000 + 3000) - 1)
    assert a["employees_growth"] == pytest.approx(0.0)
    assert economy.loc["", "enterprises"] == 2  # outside the chains: E12 and E13 (a link no chain has)


def test_a_park_with_no_chain_links_yet_has_its_firms_in_no_link() -> None:
    """Enterprises synced before any chain link (the chains page drew an error before)."""
    firms = pd.DataFrame([_firm(1, "a.up"), _firm(2, None)])
    facts = enterprise_facts(firms, _figures([("E1", 2025, 100.0, 5)]), LINKS.iloc[0:0], TODAY)
    assert facts["chain_link"].isna().all() and len(facts) == 2
    assert link_figures(LINKS.iloc[0:0], facts, GapRules()).empty
