"""Policy matching on hand-made facts (exact qualify / nearly / no-figures results and their
margins), the policy file's checks on malformed entries, and the demo park's policies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from demo.chains import chain_links
from demo.park import generate_park
from domain.chain_analysis import GapRules, link_figures
from domain.enterprise_facts import COLUMNS, enterprise_facts
from domain.policies import NoFigures, Shortfall, counts, evaluate, unknown_references, with_derived
from domain.policy_book import PolicyError, parse_book

ROOT = Path(__file__).resolve().parents[2]
TEXT = {"zh": "文字", "en": "text"}


def _policy(pid: str, criteria: dict, **extra) -> dict:
    return {"id": pid, "name": TEXT, "issuer": TEXT, "summary": TEXT, "benefit": TEXT,
            "valid": {"from": date(2024, 1, 1)}, "criteria": criteria, **extra}  # fmt: skip


def _book(*policies: dict, **nearly):
    return parse_book({"nearly": nearly or {"tolerance": 0.2, "at_most": 1}, "policies": list(policies)})


def _facts(rows: list[dict]) -> pd.DataFrame:
    """A facts frame (domain.enterprise_facts.COLUMNS) from a few given fields per firm."""
    base = {c: np.nan for c in COLUMNS}
    base.update({"industry_code": "2720", "chain": "bio", "chain_link": "bio.drugs", "stage": "midstream",
                 "size": "small", "year": 2025, "employees": 50.0})  # fmt: skip
    return pd.DataFrame([{**base, **row} for row in rows])[list(COLUMNS)]


FIRMS = _facts(
    [
        {"id": "A", "rd_share": 0.035, "revenue": 3000.0, "age_years": 5.0},  # qualifies
        {"id": "B", "rd_share": 0.026, "revenue": 3000.0, "age_years": 5.0},  # 0.4 points short
        {"id": "C", "rd_share": 0.020, "revenue": 3000.0, "age_years": 5.0},  # 1.0 point short: too far
        {
            "id": "D",
            "rd_share": np.nan,
            "revenue": np.nan,
            "employees": np.nan,
            "age_years": 5.0,
        },  # none for the year
        {"id": "E", "rd_share": 0.05, "revenue": 3000.0, "age_years": 5.0, "chain": "ei"},  # wrong chain
        {"id": "F", "rd_share": 0.028, "revenue": 5600.0, "age_years": 5.0},  # two bounds missed
        {"id": "G", "rd_share": 0.026, "revenue": np.nan, "age_years": 5.0},  # near, and a figure missing
        {"id": "H", "rd_share": 0.03, "revenue": 5000.0, "age_years": 5.0},  # exactly at both thresholds
    ]
)
RD = _policy("rd", {"chain": ["bio"], "rd_share": {"min": 0.03}, "revenue": {"max": 5000}})


def _result(book, facts=FIRMS, links=None) -> dict[str, tuple[str, tuple]]:
    found = evaluate(book, facts, links)
    return {row.id: (row.status, row.reasons) for row in found.itertuples()}


def test_each_firm_gets_its_exact_status_and_margin():
    got = _result(_book(RD))
    assert set(got) == {"A", "B", "D", "G", "H"}  # C too far, E the wrong chain, F two misses
    assert got["A"] == ("qualifies", ())
    assert got["H"] == ("qualifies", ())  # a threshold met exactly is met
    status, (miss,) = got["B"]
    assert status == "nearly" and isinstance(miss, Shortfall)
    assert (miss.criterion, miss.bound, miss.threshold, miss.unit) == ("rd_share", "min", 0.03, "share")
    assert miss.value == pytest.approx(0.026) and miss.gap == pytest.approx(0.004)
    assert got["D"] == ("no_figures", (NoFigures("year", 2025),))  # one reason, not one per figure
    status, reasons = got["G"]
    assert status == "no_figures"
    assert reasons[0].criterion == "rd_share" and reasons[1] == NoFigures("revenue", 2025)


def test_two_missed_bounds_count_as_nearly_when_the_book_allows_two():
    got = _result(_book(RD, tolerance=0.2, at_most=2))
    status, reasons = got["F"]
    assert status == "nearly"
    assert [(r.criterion, r.bound, round(r.gap, 4)) for r in reasons] == [("rd_share", "min", 0.002),
                                                                       ("revenue", "max", 600.0)]  # fmt: skip


def test_no_nearly_at_all_when_the_book_allows_none():
    got = _result(_book(RD, tolerance=0.2, at_most=0))
    assert {k: s for k, (s, _) in got.items()} == {"A": "qualifies", "H": "qualifies", "D": "no_figures"}


def test_a_missed_choice_is_never_nearly_however_close_the_figures():
    got = _result(_book(_policy("ei", {"chain": ["ei"], "rd_share": {"min": 0.03}})))
    assert got == {"E": ("qualifies", ())}


def test_a_maximum_missed_says_by_how_much_over():
    young = _facts(
        [{"id": "Y", "age_years": 3.4}, {"id": "Z", "age_years": 3.7}, {"id": "X", "age_years": 2.0}]
    )
    got = _result(_book(_policy("young", {"age_years": {"max": 3}})), young)
    assert got["X"] == ("qualifies", ())
    status, (miss,) = got["Y"]
    assert status == "nearly" and (miss.bound, miss.threshold, miss.unit) == ("max", 3.0, "years")
    assert miss.gap == pytest.approx(0.4)
    assert "Z" not in got  # 0.7 over: beyond 20 % of 3 years


def test_a_bound_of_its_own_near_margin_where_the_threshold_is_zero():
    firms = _facts([{"id": "P", "revenue_growth": -0.02}, {"id": "Q", "revenue_growth": -0.05}])
    plain = _result(_book(_policy("grow", {"revenue_growth": {"min": 0.0}})), firms)
    assert plain == {}  # 20 % of 0 is 0: nothing is nearly
    near = _result(_book(_policy("grow", {"revenue_growth": {"min": 0.0, "near": 0.03}})), firms)
    assert list(near) == ["P"] and near["P"][1][0].gap == pytest.approx(0.02)


def test_size_and_industry_choices_and_an_unknown_size_is_missing_figures():
    firms = _facts(
        [
            {"id": "S1", "size": "small", "industry_code": "2720"},
            {"id": "S2", "size": "large", "industry_code": "2720"},
            {"id": "S3", "size": None, "industry_code": "2710"},
            {"id": "S4", "size": "micro", "industry_code": "5151"},
        ]
    )
    got = _result(_book(_policy("sme", {"size": ["small", "micro"], "industry": ["27"]})), firms)
    assert got == {"S1": ("qualifies", ()), "S3": ("no_figures", (NoFigures("size", 2025),))}
    excluded = _result(_book(_policy("not_trade", {"industry_not": ["51", "52"]})), firms)
    assert set(excluded) == {"S1", "S2", "S3"}


def test_chain_rank_and_link_status_are_derived_from_the_chain():
    firms = _facts(
        [
            {"id": "R1", "revenue": 900.0},
            {"id": "R2", "revenue": 500.0},
            {"id": "R3", "revenue": 100.0, "chain_link": "bio.gap"},
            {"id": "R4", "revenue": 9000.0, "chain": None, "chain_link": None},  # outside the chains
        ]
    )
    links = pd.DataFrame({"link": ["bio.drugs", "bio.gap"], "status": ["strong", "weak"]})
    derived = with_derived(firms, links).set_index("id")
    assert derived["chain_rank"].to_dict() == {
        "R1": 1.0,
        "R2": 2.0,
        "R3": 3.0,
        "R4": pytest.approx(np.nan, nan_ok=True),
    }
    leader = _result(_book(_policy("lead", {"chain_rank": {"max": 1}})), firms)
    assert leader == {"R1": ("qualifies", ())}  # R2 is 1 place off: 100 % of 1, not nearly; R4 is in no chain
    gap = _result(_book(_policy("gap", {"link_status": ["empty", "weak"]})), firms, links)
    assert gap == {"R3": ("qualifies", ())}


def test_counts_per_policy_in_the_books_order():
    book = _book(_policy("young", {"age_years": {"max": 1}}), RD)
    table = counts(book, evaluate(book, FIRMS))
    assert list(table.index) == ["young", "rd"]
    assert table.loc["rd"].to_dict() == {"qualifies": 2, "nearly": 1, "no_figures": 2}
    assert table.loc["young"].to_dict() == {"qualifies": 0, "nearly": 0, "no_figures": 0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"criteria": {"turnover": {"min": 1}}}, "policy 'p': unknown criterion 'turnover'"),
        ({"criteria": {"rd_share": {"min": 0.05, "max": 0.03}}}, "policy 'p': 'rd_share': min 0.05 is greater than max 0.03"),
        ({"criteria": {"size": ["small", "tiny"]}}, "policy 'p': 'size': unknown value 'tiny'"),
        ({"criteria": {"stage": ["upper"]}}, "policy 'p': 'stage': unknown value 'upper'"),
        ({"criteria": {"industry": ["C27"]}}, "policy 'p': 'industry': 'C27' is not a GB/T 4754-2017"),
        ({"criteria": {"rd_share": {"min": 3}}}, "policy 'p': 'rd_share' is a share (0.03 is 3 %)"),
        ({"criteria": {"revenue": {"min": "lots"}}}, "policy 'p': revenue.min must be a number"),
        ({"criteria": {"revenue": {"above": 1}}}, "policy 'p': 'revenue' must be {min: …, max: …}"),
        ({"criteria": {"revenue": {"min": 1, "near": -1}}}, "policy 'p': revenue.near must be ≥ 0"),
        ({"criteria": {}}, "policy 'p': 'criteria' must map"),
        ({"valid": {"from": "2024-02-30"}}, "policy 'p': valid.from must be a date"),
        ({"valid": {"from": date(2025, 1, 1), "until": date(2024, 1, 1)}}, "policy 'p': valid.until 2024-01-01 is before"),
        ({"valid": {"until": date(2025, 1, 1)}}, "policy 'p': 'valid' needs from"),
        ({"name": {"zh": "只有中文"}}, "policy 'p': 'name' needs its text in both languages"),
        ({"benefit": {"zh": "", "en": "x"}}, "policy 'p': 'benefit'.zh must be a text"),
        ({"colour": "red"}, "policy 'p': unknown key 'colour'"),
        ({"id": "Bad Id"}, "policy #1: 'id' must be lower-case"),
    ],
)  # fmt: skip
def test_a_malformed_entry_is_refused_naming_the_policy_and_key(change, message):
    entry = {**_policy("p", {"rd_share": {"min": 0.03}}), **change}
    with pytest.raises(PolicyError) as refused:
        parse_book({"policies": [entry]})
    assert str(refused.value).startswith(message), str(refused.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "policies: expected a mapping"),
        ({"policies": []}, "policies: 'policies' must be a non-empty list"),
        ({"policies": [_policy("p", {"age_years": {"max": 3}})] * 2}, "policy 'p': the id is used twice"),
        ({"nearly": {"tolerance": 1.5}, "policies": [_policy("p", {"age_years": {"max": 3}})]}, "policies: nearly.tolerance"),
        ({"nearly": {"at_most": -1}, "policies": [_policy("p", {"age_years": {"max": 3}})]}, "policies: nearly.at_most"),
        ({"nearly": {"margin": 1}, "policies": [_policy("p", {"age_years": {"max": 3}})]}, "policies: 'nearly' takes"),
        ({"policies": ["just a string"]}, "policy #1: expected a mapping"),
    ],
)  # fmt: skip
def test_a_malformed_book_is_refused(data, message):
    with pytest.raises(PolicyError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        parse_book(data)


def test_validity_on_a_day():
    book = parse_book(yaml.safe_load((ROOT / "config" / "policies.yaml").read_text(encoding="utf-8")))
    expired = book.get("sme_rent_relief_2022")
    assert expired is not None and expired.in_force(date(2026, 12, 7)) == "expired"
    assert expired.in_force(date(2022, 6, 1)) == "in_force"
    assert expired.in_force(date(2021, 12, 31)) == "upcoming"


@pytest.fixture(scope="module")
def demo():
    park = generate_park(cases=100, now=datetime(2026, 12, 7, 8, tzinfo=UTC))
    links = chain_links()
    facts = enterprise_facts(park.enterprises, park.enterprise_figures, links, date(2026, 12, 7))
    book = parse_book(yaml.safe_load((ROOT / "config" / "policies.yaml").read_text(encoding="utf-8")))
    return book, facts, link_figures(links, facts, GapRules())


def test_the_demo_parks_policies_each_find_enterprises_and_say_why_the_near_ones_miss(demo):
    book, facts, links = demo
    assert 8 <= len(book.policies) <= 12
    found = evaluate(book, facts, links)
    table = counts(book, found)
    assert (table["qualifies"] > 0).all(), table
    # the three HNTE bands never overlap: a firm qualifies in one band at most
    hnte = found[found["policy"].str.startswith("hnte_") & (found["status"] == "qualifies")]
    assert hnte["id"].is_unique
    # every nearly row misses exactly one bound, within 20 % of its threshold (or its own margin)
    nearly = found[found["status"] == "nearly"]
    assert len(nearly) > 0
    for policy_id, reasons in zip(nearly["policy"], nearly["reasons"], strict=True):
        (miss,) = reasons
        bound = next(b for b in book.get(policy_id).bounds if b.criterion == miss.criterion)
        margin = bound.near if bound.near is not None else 0.2 * abs(miss.threshold)
        assert 0 < miss.gap <= margin + 1e-9
    # a chain leader is among the three largest of its chain, and a large or medium firm
    leaders = facts.set_index("id").loc[
        found.loc[(found["policy"] == "chain_leader") & (found["status"] == "qualifies"), "id"]
    ]
    assert set(leaders["size"]) <= {"large", "medium"} and len(leaders) <= 3 * 4
    # firms without last year's figures are listed as lacking them wherever the rest could hold
    no_figures = found[(found["policy"] == "rd_super_deduction") & (found["status"] == "no_figures")]
    assert facts.set_index("id").loc[no_figures["id"], "rd_share"].isna().all()


def test_a_malformed_policy_file_stops_start_up_in_one_line_naming_file_policy_and_key(
    tmp_path, monkeypatch, capsys
):
    from apps import build_app, clear_onescreen_env

    import app as onescreen

    entry = _policy("startup_rent", {"size": ["small", "tiny"]})
    bad = tmp_path / "policies.yaml"
    bad.write_text(yaml.safe_dump({"policies": [entry]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        PolicyError, match=r"policies\.yaml: policy 'startup_rent': 'size': unknown value 'tiny'"
    ):
        build_app(tmp_path / "data", policies_file=bad)
    clear_onescreen_env(monkeypatch)
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ONESCREEN_POLICIES_FILE", str(bad))
    assert onescreen.main() == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "policy 'startup_rent': 'size': unknown value 'tiny'" in err[0]
    bad.write_text("policies: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"policies\.yaml: "):
        build_app(tmp_path / "data", policies_file=bad)


def test_a_policy_naming_a_chain_or_link_the_park_lacks_is_said_not_shown_as_nobody():
    book = _book(_policy("typo", {"chain": ["bio", "biomed"], "chain_link": ["bio.drugs", "bio.drgus"]}))
    links = pd.DataFrame({"chain": ["bio", "bio"], "link": ["bio.drugs", "bio.gap"]})
    assert unknown_references(book.policies[0], links) == {"chain": ("biomed",), "chain_link": ("bio.drgus",)}
    assert unknown_references(book.policies[0], links.iloc[0:0]) == {}
    assert unknown_references(RD_BOOK.policies[0], links) == {}


RD_BOOK = _book(RD)
