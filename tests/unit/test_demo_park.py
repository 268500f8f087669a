"""The demo park as a whole: contracts, determinism, headline counts, progress."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from data_sources.contracts import CONTRACTS
from data_sources.validation import validate
from demo import DemoPark, ParkSpec, generate_park

NOW = datetime(2026, 11, 24, 3, 7, tzinfo=UTC)
SMALL = 2_000


@pytest.fixture(scope="module")
def park() -> DemoPark:
    return generate_park(seed=20261124, cases=SMALL, now=NOW)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_frame_passes_its_contract(park: DemoPark, name: str) -> None:
    frame = park.contract_frames()[name]
    result = validate(frame, CONTRACTS[name], "demo")
    assert result.rejections == []
    assert len(result.good) == len(frame)


def test_same_seed_gives_the_same_park(park: DemoPark) -> None:
    again = generate_park(seed=20261124, cases=SMALL, now=NOW)
    for name in park.frame_sizes():
        assert_frame_equal(getattr(park, name), getattr(again, name), obj=name)


def test_different_seed_gives_a_different_park(park: DemoPark) -> None:
    other = generate_park(seed=20261125, cases=SMALL, now=NOW)
    for name in ("cases", "features", "readings", "enterprises"):
        assert not getattr(park, name).equals(getattr(other, name)), name


def test_park_has_the_documented_counts(park: DemoPark) -> None:
    spec = ParkSpec()
    layers = park.features["layer"].value_counts()
    levels = park.grid_cells["level"].value_counts()
    assert levels["unit"] == layers["grid_unit"] == 636
    assert levels["community"] == layers["grid_community"] == 16
    assert levels["responsibility"] == layers["grid_responsibility"] == 4
    assert len(park.grid_workers) == 120
    assert park.grid_cells.loc[park.grid_cells["level"] == "unit", "worker"].notna().all()
    geocoded = {"poi": 1580, "house_number": 243, "area": 29, "street": 145}
    assert {k: layers[k] for k in geocoded} == geocoded
    assert sum(geocoded.values()) == 1997
    parts = park.features[park.features["layer"] == "part"]
    kinds = parts["geometry"].map(lambda g: g["type"]).value_counts()
    assert (len(parts), kinds["Point"], kinds["LineString"]) == (56_801, 56_550, 251)
    props = pd.DataFrame(parts["properties"].tolist())
    assert (props["class_code"].nunique(), props["subclass_code"].nunique()) == (5, 121)
    sensors = park.sensors
    assert (sensors["kind"] == "camera").sum() == spec.cameras == 28
    assert (sensors["kind"] == "eagle_eye").sum() == spec.eagle_eyes == 4
    points = sensors.dropna(subset=["point_id"]).groupby("point_id")["kind"].agg(set)
    assert len(points) == layers["camera_point"] == 29
    assert (points.map(len) == 2).any(), "some camera points carry both a camera and an eagle eye"
    assert 18 <= len(park.departments) <= 25
    assert len(park.case_types) >= 200 and park.case_types["domain"].nunique() == 6
    assert len(park.channels) == 6 and set(park.cases["channel"]) <= set(park.channels["id"])
    assert len(park.enterprises) == spec.enterprises
    assert park.chains["chain"].nunique() == 4
    assert len(park.cases) == SMALL


def test_feature_ids_are_unique_and_every_feature_is_named(park: DemoPark) -> None:
    features = park.features
    assert features["id"].is_unique
    props = features["properties"]
    assert props.map(
        lambda p: bool(p.get("name")) and bool(p.get("name_en")) and bool(p.get("category"))
    ).all()


def test_progress_reports_every_step_up_to_one() -> None:
    seen: list[tuple[str, float]] = []
    generate_park(seed=7, cases=10, now=NOW, progress=lambda step, fraction: seen.append((step, fraction)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {s for s, _ in seen} >= {"streets", "grid", "parts", "readings", "cases", "features"}


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_park(seed=1, cases=10, now=datetime(2026, 11, 24))  # noqa: DTZ001 - the point of the test
