"""Enterprises, their figures and chain links checked beyond their own fields, read from CSV files
through the configured sources: each bad row is rejected with its line and reason, the rest load;
a reference that cannot be read fails closed for the rows that need it and no others."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from data_sources.contracts import CONTRACTS
from data_sources.health import HealthBook
from data_sources.reference_checks import Reference, check_references
from data_sources.validation import validate
from domain.credit_code import check_character
from services.sources import SourceManager, SourcesFile

THIS_YEAR = datetime.now(UTC).year
GOOD_CODE = "91110000MA01ABCDE" + check_character("91110000MA01ABCDE")
WRONG_CHECK = GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")

CHAINS_CSV = """chain,link,stage,parent_link,name
bio,bio.api,upstream,,APIs
bio,bio.tcm,midstream,bio.api,TCM
bio,bio.a,midstream,bio.b,A
bio,bio.b,midstream,bio.a,B
bio,bio.self,midstream,bio.self,Self
bio,bio.orphan,downstream,bio.gone,Orphan
ei,dup.link,upstream,,Shared in ei
bio,dup.link,upstream,,Shared in bio
"""

ENTERPRISES_CSV = f"""id,name,industry_code,credit_code,chain_link
E1,Good Pharma,2710,{GOOD_CODE},bio.api
E2,Unknown Class,9999,,bio.api
E3,Typo Code,2720,{WRONG_CHECK},bio.tcm
E4,Lost Link,2720,,bio.nowhere
E1,Same Id Again,2710,,bio.api
E5,No Chain,2720,,
E6,In A Circle,2720,,bio.a
"""

FIGURES_CSV = f"""enterprise_id,year,revenue,tax,employees
E1,2024,1000,50,30
E1,{THIS_YEAR + 1},1200,60,31
E5,2024,-5,1,2
E9,2024,100,1,2
E2,2024,100,1,2
E5,{THIS_YEAR},300,3,4
E5,2023,300,-1,-4
"""


def manager_for(tmp_path: Path, files: dict[str, str | None], serve: tuple[str, ...] = ()) -> SourceManager:
    """A source per contract, each a CSV file (None: the file is not there)."""
    sources = {}
    for contract, text in files.items():
        path = tmp_path / f"{contract}.csv"
        if text is not None:
            path.write_text(text, encoding="utf-8")
        sources[f"{contract}-file"] = {
            "adapter": "csv",
            "serves": [contract] if contract in serve or not serve else [],
            "options": {"path": str(path), "contract": contract},
        }
    return SourceManager(SourcesFile.model_validate({"sources": sources}), HealthBook())


def found(manager: SourceManager, source: str) -> set[tuple[int, str, str]]:
    return {(r.row, r.field, r.reason) for r in manager.recent_rejections(source)}


@pytest.fixture
def park(tmp_path: Path) -> SourceManager:
    return manager_for(
        tmp_path, {"chains": CHAINS_CSV, "enterprises": ENTERPRISES_CSV, "enterprise_figures": FIGURES_CSV}
    )


def test_chain_links_with_circles_dangling_parents_and_shared_ids_are_rejected_by_line(park) -> None:
    snap = park.read("chains")
    assert sorted(snap.frame["link"]) == ["bio.api", "bio.tcm"]
    shared = (
        "link id 'dup.link' is used by more than one chain (bio, ei); enterprises name their link by id alone"
    )
    assert found(park, "chains-file") == {
        (4, "parent_link", "parent links go round in a circle: bio.a → bio.b → bio.a"),
        (5, "parent_link", "parent links go round in a circle: bio.b → bio.a → bio.b"),
        (6, "parent_link", "parent links go round in a circle: bio.self → bio.self"),
        (7, "parent_link", "parent link 'bio.gone' is no link of chain 'bio'"),
        (8, "link", shared),
        (9, "link", shared),
    }
    assert snap.health.batch("chains").rejected == 6


def test_enterprises_with_unknown_classes_wrong_codes_lost_links_and_repeated_ids(park) -> None:
    snap = park.read("enterprises")
    assert list(snap.frame["id"]) == ["E1", "E5"]
    rejections = park.recent_rejections("enterprises-file")
    assert {(r.row, r.field, r.reason) for r in rejections} == {
        (3, "industry_code", "not a four-digit class of GB/T 4754-2017"),
        (
            4,
            "credit_code",
            f"not a unified social credit code: check character should be {GOOD_CODE[17]!r}, not {WRONG_CHECK[17]!r}",
        ),
        (5, "chain_link", "names no link of the industry chains"),
        (6, "id", "duplicate key in this batch"),
        # bio.a goes round in a circle, so it is no link the enterprise can be in
        (8, "chain_link", "names no link of the industry chains"),
    }
    message = next(r.message for r in rejections if r.row == 3)
    assert message == (
        "enterprises-file: enterprises row 3 (E2), field 'industry_code': "
        "not a four-digit class of GB/T 4754-2017 (value '9999')"
    )


def test_figures_for_the_future_below_zero_or_of_no_enterprise_are_rejected(park) -> None:
    snap = park.read("enterprise_figures")
    assert sorted(zip(snap.frame["enterprise_id"], snap.frame["year"], strict=True)) == [
        ("E1", 2024),
        ("E5", THIS_YEAR),
    ]
    assert found(park, "enterprise_figures-file") == {
        (3, "year", f"a year in the future (this is {THIS_YEAR})"),
        (4, "revenue", "below 0"),
        (5, "enterprise_id", "names no enterprise"),
        (6, "enterprise_id", "names no enterprise"),  # E2 was rejected for its industry class
        (8, "tax", "below 0"),
        (8, "employees", "below 0"),
    }
    message = next(r.message for r in park.recent_rejections("enterprise_figures-file") if r.row == 3)
    assert f"row 3 (E1/{THIS_YEAR + 1}), field 'year'" in message
    assert f"(value {THIS_YEAR + 1})" in message


def test_chains_that_cannot_be_read_reject_the_enterprises_naming_a_link_and_keep_the_rest(tmp_path) -> None:
    park = manager_for(tmp_path, {"chains": None, "enterprises": ENTERPRISES_CSV})
    snap = park.read("enterprises")
    assert list(snap.frame["id"]) == ["E5"]  # the one enterprise in no chain
    lost = {r.row: r.reason for r in park.recent_rejections("enterprises-file") if r.field == "chain_link"}
    assert set(lost) == {2, 3, 4, 5, 8}  # line 6 repeats an id, line 7 names no link
    assert lost[2].startswith("cannot be checked: chains could not be read from source 'chains-file' (")
    assert "no CSV file" in lost[2] or "no such file" in lost[2].lower()


def test_with_no_source_for_the_chains_the_enterprises_naming_one_are_rejected(tmp_path) -> None:
    park = manager_for(tmp_path, {"enterprises": ENTERPRISES_CSV})
    assert list(park.read("enterprises").frame["id"]) == ["E5"]
    reasons = {r.reason for r in park.recent_rejections("enterprises-file") if r.field == "chain_link"}
    assert reasons == {"cannot be checked: no configured source serves chains"}


def test_chains_gone_after_a_good_read_are_still_checked_against_the_last_good_read(tmp_path) -> None:
    park = manager_for(tmp_path, {"chains": CHAINS_CSV, "enterprises": ENTERPRISES_CSV})
    park.read("chains")
    (tmp_path / "chains.csv").unlink()
    assert list(park.read("enterprises").frame["id"]) == ["E1", "E5"]


def test_a_source_read_for_a_check_only_is_read_too(tmp_path) -> None:
    """A source that serves no panel (checked from the Sources page) still finds the chains."""
    park = manager_for(tmp_path, {"chains": CHAINS_CSV, "enterprises": ENTERPRISES_CSV}, serve=("chains",))
    snap = park.monitors["enterprises-file"].read("enterprises")
    assert list(snap.frame["id"]) == ["E1", "E5"]


def test_other_contracts_and_empty_batches_pass_unchanged() -> None:
    cases = validate(pd.DataFrame(), CONTRACTS["cases"], "s")
    assert check_references(cases, "cases", "s", {}, date(2026, 1, 1)) is cases
    empty = validate(pd.DataFrame(columns=["id", "name", "industry_code"]), CONTRACTS["enterprises"], "s")
    assert check_references(empty, "enterprises", "s", {}, date(2026, 1, 1)) is empty


def test_rows_are_numbered_by_position_when_the_frame_has_no_numbers() -> None:
    frame = pd.DataFrame({"enterprise_id": ["A", "B"], "year": [2020, 2031]}, index=pd.Index(["x", "y"]))
    result = validate(frame, CONTRACTS["enterprise_figures"], "s")
    enterprises = Reference(pd.DataFrame({"id": ["A", "B"]}))
    checked = check_references(
        result, "enterprise_figures", "s", {"enterprises": enterprises}, date(2030, 6, 1)
    )
    assert [(r.row, r.key, r.value) for r in checked.rejections] == [(1, "B/2031", "2031")]
    assert list(checked.good["enterprise_id"]) == ["A"] and checked.rows == [0]


def test_the_demo_park_passes_every_check() -> None:
    from demo import generate_park

    now = datetime(2026, 11, 24, 3, 7, tzinfo=UTC)
    park = generate_park(seed=20261124, cases=100, now=now)
    frames: dict[str, pd.DataFrame] = {}
    for contract, frame in (
        ("chains", park.chains),
        ("enterprises", park.enterprises),
        ("enterprise_figures", park.enterprise_figures),
    ):
        result = validate(frame, CONTRACTS[contract], "demo")
        references = {name: Reference(f) for name, f in frames.items()}
        checked = check_references(result, contract, "demo", references, now.date())
        assert [r.message for r in checked.rejections][:5] == []
        frames[contract] = checked.good
    assert len(frames["enterprises"]) == 2000
