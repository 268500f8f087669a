"""The case-type and department catalogues in config/ are complete and consistent."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from demo.catalogue import CHANNELS, STAGES, CatalogueError, load_case_types, load_departments
from demo.files import CONFIG_DIR

DOMAINS = {
    "urban_management",
    "comprehensive_governance",
    "environmental_protection",
    "work_safety",
    "market_supervision",
    "petitions",
}


def test_case_catalogue_has_200_types_in_the_six_domains() -> None:
    catalogue = load_case_types(load_departments())
    types = catalogue.types
    assert len(types) >= 200 and types["id"].is_unique
    assert set(types["domain"]) == DOMAINS == set(catalogue.domain_share.index)
    assert (types.groupby("domain").size() >= 20).all()
    assert types["name"].str.len().gt(0).all() and types["name_en"].str.len().gt(0).all()


def test_every_type_has_a_known_department_and_positive_stage_limits() -> None:
    departments = load_departments()
    types = load_case_types(departments).types
    assert set(types["department"]) <= set(departments["id"])
    for stage in STAGES:
        assert (types[f"sla_{stage}_h"] > 0).all()
    ordinary = types[~types["urgent"]]
    assert ordinary["sla_handle_h"].between(2, 720).all() and ordinary["sla_handle_h"].median() >= 24


def test_urgent_types_are_handled_within_hours() -> None:
    types = load_case_types(load_departments()).types
    urgent = types[types["urgent"]]
    assert len(urgent) >= 10
    assert (urgent["sla_handle_h"] <= 12).all() and (urgent["sla_accept_h"] <= 0.5).all()


def test_channel_mixes_favour_patrol_and_the_hotline() -> None:
    catalogue = load_case_types(load_departments())
    overall = catalogue.channel_mix.mul(catalogue.domain_share, axis=0).sum()
    assert set(overall.nlargest(2).index) == {"grid_patrol", "hotline_12345"}
    assert list(catalogue.channel_mix.columns) == list(CHANNELS["id"])


def test_a_type_with_an_unknown_department_is_refused_by_name(tmp_path: Path) -> None:
    raw = yaml.safe_load((CONFIG_DIR / "case_types.yaml").read_text(encoding="utf-8"))
    raw["domains"]["petitions"]["types"][0]["department"] = "no_such_bureau"
    broken = tmp_path / "case_types.yaml"
    broken.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError, match="pt.land_compensation.*no_such_bureau"):
        load_case_types(load_departments(), broken)


def test_departments_have_short_unique_ids_and_both_names() -> None:
    departments = load_departments()
    assert departments["id"].is_unique and departments["id"].str.len().le(32).all()
    assert departments["name"].str.len().gt(0).all() and departments["name_en"].str.len().gt(0).all()
    handled = {d for ds in departments["domains"] for d in ds.split(",") if d}
    assert handled == DOMAINS
