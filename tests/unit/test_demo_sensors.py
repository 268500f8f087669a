"""Demo sensors, their seven days of readings and the alert history drawn from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from data_sources.contracts import ALERTS
from data_sources.validation import validate
from demo import DemoPark, generate_park

NOW = datetime(2026, 11, 24, 3, 7, tzinfo=UTC)


@pytest.fixture(scope="module")
def park() -> DemoPark:
    return generate_park(seed=20261124, cases=100, now=NOW)


def _limits(park: DemoPark) -> pd.DataFrame:
    rows = [
        (s, q, t["warning"], t["critical"])
        for s, th in zip(park.sensors["id"], park.sensors["thresholds"], strict=True)
        if th
        for q, t in th.items()
    ]
    return pd.DataFrame(rows, columns=["sensor_id", "quantity", "warning", "critical"])


def test_sensor_ids_are_senml_device_names(park: DemoPark) -> None:
    assert park.sensors["id"].str.match(r"^urn:dev:[a-z]+-\d+$").all()
    full = park.readings["sensor_id"] + ":" + park.readings["quantity"]
    assert full.str.rsplit(":", n=1).str[0].isin(park.sensors["id"]).all()


def test_readings_cover_seven_days_at_five_minutes(park: DemoPark) -> None:
    readings = park.readings
    per_series = readings.groupby(["sensor_id", "quantity"]).size()
    assert (per_series == 7 * 24 * 12).all()
    at = readings["at"]
    assert at.max() <= pd.Timestamp(NOW) and at.min() > pd.Timestamp(NOW) - timedelta(days=7)
    assert (at.dt.minute % 5 == 0).all() and (at.dt.second == 0).all()
    kinds = park.sensors.set_index("id").loc[per_series.index.get_level_values(0), "kind"]
    assert set(kinds) == {"air_quality", "noise", "water_level", "gas", "smoke", "traffic"}


def test_a_few_readings_cross_thresholds(park: DemoPark) -> None:
    r = park.readings.merge(_limits(park), on=["sensor_id", "quantity"])
    over = r["value"] >= r["warning"]
    assert 0 < over.mean() < 0.01
    crossed = set(r.loc[over, "quantity"])
    assert {"pm25", "laeq", "level", "ch4", "obscuration"} <= crossed


def test_thresholds_follow_the_national_standards(park: DemoPark) -> None:
    limits = _limits(park).drop_duplicates(["quantity", "warning", "critical"])
    pm25 = limits[limits["quantity"] == "pm25"].iloc[0]
    assert (pm25["warning"], pm25["critical"]) == (75, 115)  # GB 3095-2012 grade II 24 h, HJ 633 IAQI 150
    noise = limits[limits["quantity"] == "laeq"]
    assert set(noise["warning"]) <= {55, 60, 65, 70}  # GB 3096-2008 daytime limits by class


def test_readings_follow_the_day(park: DemoPark) -> None:
    r = park.readings
    hour = r["at"].dt.tz_convert("Asia/Shanghai").dt.hour
    noise = r[r["quantity"] == "laeq"]
    assert (
        noise.loc[hour[noise.index].between(9, 17), "value"].mean()
        > noise.loc[hour[noise.index].between(1, 4), "value"].mean() + 5
    )
    flow = r[r["quantity"] == "flow"]
    assert (
        flow.loc[hour[flow.index].between(7, 8), "value"].mean()
        > 3 * flow.loc[hour[flow.index].between(1, 4), "value"].mean()
    )


def test_alerts_are_the_closed_incidents_of_the_readings(park: DemoPark) -> None:
    alerts = park.alerts
    assert len(alerts) > 0
    assert alerts["sensor_id"].isin(park.sensors["id"]).all()
    closed = alerts[alerts["state"] == "closed"]
    assert len(closed) >= 0.8 * len(alerts)
    stages = ["raised_at", "acknowledged_at", "assigned_at", "resolved_at", "closed_at"]
    assert (closed[stages].diff(axis=1).iloc[:, 1:] > pd.Timedelta(0)).all().all()
    assert (alerts["severity"] == "critical").eq(alerts["escalated_at"].notna()).all()
    readings = park.readings.set_index(["sensor_id", "quantity", "at"])["value"]
    at_raise = readings.loc[
        list(zip(alerts["sensor_id"], alerts["quantity"], alerts["raised_at"], strict=True))
    ]
    assert (at_raise.to_numpy() >= alerts["threshold"].to_numpy()).all()
    assert alerts["owner"].isin(park.departments["id"]).all()


def test_alerts_keep_value_threshold_and_quantity_through_validation(park: DemoPark) -> None:
    result = validate(park.alerts, ALERTS, "demo")
    assert result.rejections == [] and len(result.good) == len(park.alerts) > 0
    kept = result.good
    assert kept[["value", "threshold", "quantity"]].notna().all().all()
    assert (kept["value"] >= kept["threshold"]).all()
    assert park.alerts["id"].is_unique and park.alerts["id"].str.match(r"^AL-20\d{6}-\d{4,}$").all()
