"""The demo park's live feed (demo/live_feed.py, data_sources/adapters/demo_feed.py): readings that
pass the intake, each sensor at its own interval, air quality shaped on the real series, and
scheduled incidents that are the same per day and each trip the matching alert rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from config.alert_rules import load_alert_rules
from data_sources.adapters.demo_feed import DemoFeedSource, senml_packs
from data_sources.errors import SourceMisconfigured
from data_sources.feeds.intake import IntakeLimits, SenmlFormat, SensorCatalog, decode_payload
from demo.live_feed import INCIDENT_KINDS, INCIDENTS_PER_DAY, INTERVAL_S, ParkFeed, schedule
from demo.readings import air_series
from demo.sensors import SENSOR_KINDS
from domain.alert_evaluation import Clear, OpenAlert, Raise, Reading, Sensor, Update, evaluate, lookback
from domain.alert_lifecycle import Severity
from domain.alert_rules import OfflineRule

ZONE = ZoneInfo("Asia/Shanghai")
SEED = 20261124
BOOK = load_alert_rules()
NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # 12:00 in the park, a Monday


def _thresholds(kind) -> dict:
    own = {q.name: {"unit": q.unit, "warning": q.warning, "critical": q.critical} for q in kind.quantities}
    if kind.kind == "traffic":  # per site in the park: a two-lane road
        own["flow"].update(warning=227, critical=267)
    return own


def _sensors(per_kind: int = 3) -> pd.DataFrame:
    rows = [
        {"id": f"urn:dev:{k.prefix}-{i + 1:03d}", "kind": k.kind, "thresholds": _thresholds(k)}
        for k in SENSOR_KINDS
        for i in range(per_kind)
    ]
    rows.append({"id": "cam-001", "kind": "camera", "thresholds": None})  # not simulated
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sensors():
    return _sensors()


def _feed(sensors) -> ParkFeed:
    return ParkFeed(sensors, seed=SEED, zone=ZONE)


def test_the_readings_pass_the_intake_checks(sensors):
    feed = _feed(sensors)
    readings = feed.readings(NOW - timedelta(hours=3), NOW)
    catalog = SensorCatalog.from_sensors(sensors)
    taken, problems = [], []
    for payload in senml_packs(readings):
        intake = decode_payload(payload, SenmlFormat(), NOW, IntakeLimits(), catalog)
        taken += intake.readings
        problems += intake.problems
    assert problems == []
    assert [(r.sensor_id, r.quantity, r.value, r.at) for r in taken] == [
        (r.sensor_id, r.quantity, r.value, r.at) for r in readings
    ]
    assert {r.sensor_id for r in readings} == set(sensors["id"]) - {"cam-001"}
    assert all(np.isfinite(r.value) and r.value >= 0 for r in readings)


def test_each_sensor_reports_at_its_kinds_interval_at_a_phase_of_its_own(sensors):
    feed = _feed(sensors)
    start, end = NOW - timedelta(hours=2), NOW
    quiet = {i.sensor_id for i in feed.incidents(start, end) if i.kind == "silent"}
    frame = pd.DataFrame(feed.readings(start, end))
    phases = set()
    for (sensor_id, _), group in frame.groupby(["sensor_id", "quantity"]):
        kind = sensors.set_index("id").loc[sensor_id, "kind"]
        gaps = group["at"].diff().dropna().dt.total_seconds().unique()
        if sensor_id not in quiet:
            assert list(gaps) == [INTERVAL_S[kind]], sensor_id
        phases.add(group["at"].iloc[0].second + 60 * group["at"].iloc[0].minute)
    assert len(phases) > 5  # not all in one burst
    # consecutive windows give each reading once
    joined = feed.readings(start, NOW - timedelta(hours=1)) + feed.readings(NOW - timedelta(hours=1), end)
    assert len(joined) == len(frame)


def test_air_quality_follows_the_real_series_hour_by_hour(sensors):
    feed = _feed(sensors)
    start = datetime(2026, 12, 7, tzinfo=ZONE).astimezone(UTC)
    frame = pd.DataFrame(feed.readings(start, start + timedelta(days=2)))
    pm25 = frame[frame["quantity"] == "pm25"].copy()
    pm25["hour"] = pm25["at"].dt.floor("h")
    simulated = pm25.groupby("hour")["value"].mean()
    series = air_series()["pm25"].to_numpy()
    local_hours = [
        (h.tz_convert(ZONE).tz_localize(None) - pd.Timestamp(0)) / pd.Timedelta(hours=1)
        for h in simulated.index
    ]
    source = np.array([series[int(x) % len(series)] for x in local_hours])
    assert np.corrcoef(simulated.to_numpy(), source)[0, 1] > 0.9
    # scaled down as the history is: the park's air is cleaner than the Beijing autumn
    assert simulated.max() <= source.max()


def test_the_incident_schedule_is_the_same_per_day_and_a_few_a_day(sensors):
    pairs = list(zip(sensors["id"], sensors["kind"], strict=True))
    day = date(2026, 12, 7)
    first = schedule(day, pairs, SEED, ZONE)
    assert first == schedule(day, pairs, SEED, ZONE)
    assert first != schedule(day + timedelta(days=1), pairs, SEED, ZONE)
    assert len(first) == INCIDENTS_PER_DAY * len(INCIDENT_KINDS)
    for incident in first:
        local = incident.start.astimezone(ZONE)
        assert local.date() == day and 7 <= local.hour < 23
        kind = sensors.set_index("id").loc[incident.sensor_id, "kind"]
        assert INCIDENT_KINDS[incident.kind] in (None, kind)
        assert kind != "camera"


def _judge(rule, sensor: Sensor, readings: list[Reading], ticks: list[datetime]) -> list:
    """Evaluate `rule` as the worker does: at each reading's arrival and on the clock's ticks,
    over what arrived back to lookback(rule), applying each outcome to the open alert."""
    events = sorted([(r.at, r) for r in readings] + [(t, None) for t in ticks], key=lambda e: e[0])
    seen, active, out, first, back = [], None, [], 0, lookback(rule)
    for now, reading in events:
        if reading is not None:
            seen.append(reading)  # in time order: the window is a tail of what was seen
        while first < len(seen) - 1 and seen[first].at < now - back:
            first += 1
        window = seen[first:]
        outcome = evaluate(rule, sensor, window, active, now)
        if isinstance(outcome, Raise):
            active = OpenAlert(outcome.severity, outcome.value, outcome.at)
        elif isinstance(outcome, Update):
            active = OpenAlert(outcome.severity, outcome.value, active.raised_at)
        elif isinstance(outcome, Clear):
            active = None
        if outcome is not None:
            out.append(outcome)
    return out


EXPECTED = {
    "smoke_firing": {("smoke_alarm", Severity.CRITICAL)},
    "gas_spike": {("gas_leak", Severity.CRITICAL)},
    "water_rising": {("water_rising", Severity.CRITICAL), ("road_flooding", Severity.CRITICAL)},
    "silent": {("sensor_offline", Severity.WARNING)},
}


@pytest.mark.parametrize("day", [date(2026, 12, 7), date(2026, 12, 8), date(2027, 3, 1)])
def test_each_scheduled_incident_trips_its_rule_and_clears_after(sensors, day):
    feed = _feed(sensors)
    kinds = sensors.set_index("id")
    incidents = [i for i in feed.incidents(*_day(day)) if i.start.astimezone(ZONE).date() == day]
    assert {i.kind for i in incidents} == set(EXPECTED)
    for incident in incidents:
        start, end = incident.start - timedelta(minutes=90), incident.end + timedelta(minutes=60)
        feed = _feed(sensors)  # a fresh simulation: its noise state does not matter
        mine = [r for r in feed.readings(start, end) if r.sensor_id == incident.sensor_id]
        sensor = Sensor(
            incident.sensor_id,
            kinds.loc[incident.sensor_id, "kind"],
            kinds.loc[incident.sensor_id, "thresholds"],
        )
        ticks = [start + timedelta(minutes=m) for m in range(int((end - start).total_seconds() // 60))]
        raised, cleared = set(), set()
        for rule in BOOK.for_kind(sensor.kind):
            quantity = None if isinstance(rule, OfflineRule) else rule.quantity_name
            series = [Reading(r.at, r.value) for r in mine if quantity in (None, r.quantity)]
            outcomes = _judge(rule, sensor, series, ticks)
            worst = {o.severity for o in outcomes if isinstance(o, Raise | Update)}
            if worst:
                raised.add((rule.id, max(worst, key=[Severity.WARNING, Severity.CRITICAL].index)))
            if outcomes and isinstance(outcomes[-1], Clear):
                cleared.add(rule.id)
        assert EXPECTED[incident.kind] <= raised, (incident, raised)
        assert {r for r, _ in EXPECTED[incident.kind]} <= cleared, (incident, cleared)
        if incident.kind != "silent":  # nothing else: the shapes trip their rule, not the others
            also = {"sensor_offline"} if _silenced(incidents, incident.sensor_id, start, end) else set()
            assert {r for r, _ in raised} - also == {r for r, _ in EXPECTED[incident.kind]}, incident


def _silenced(incidents, sensor_id: str, start: datetime, end: datetime) -> bool:
    """Whether the schedule also silences this sensor within [start, end) (a day may do both)."""
    return any(
        i.kind == "silent" and i.sensor_id == sensor_id and i.start < end and i.end > start for i in incidents
    )


def _day(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)
    return start, start + timedelta(days=1)


def test_calm_hours_raise_nothing(sensors):
    feed = _feed(sensors)
    start, end = _day(date(2026, 12, 9))
    busy = feed.incidents(start, end)
    kinds = sensors.set_index("id")
    frame = pd.DataFrame(feed.readings(start, end))
    for sensor_id in ("urn:dev:sm-001", "urn:dev:gs-002", "urn:dev:wl-003"):
        calm = frame[frame["sensor_id"] == sensor_id]
        calm = calm[
            ~calm["at"].apply(
                lambda at, sensor_id=sensor_id: any(
                    i.sensor_id == sensor_id
                    and i.start - timedelta(hours=1) <= at < i.end + timedelta(hours=1)
                    for i in busy
                )
            )
        ]
        sensor = Sensor(sensor_id, kinds.loc[sensor_id, "kind"], kinds.loc[sensor_id, "thresholds"])
        for rule in BOOK.for_kind(sensor.kind):
            if isinstance(rule, OfflineRule):
                continue
            series = [Reading(r.at, r.value) for r in calm.itertuples() if r.quantity == rule.quantity_name]
            assert not any(isinstance(o, Raise) for o in _judge(rule, sensor, series, [])), (
                sensor_id,
                rule.id,
            )


def test_the_adapter_refuses_an_unknown_zone_and_a_store_without_sensors(tmp_path):
    with pytest.raises(SourceMisconfigured, match="timezone"):
        DemoFeedSource("demo", {"url": "sqlite://", "timezone": "Mars/Olympus"})
    from sqlalchemy import create_engine

    from store.models import Base

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    Base.metadata.create_all(create_engine(url))
    source = DemoFeedSource("demo", {"url": url})
    with pytest.raises(SourceMisconfigured, match="no sensors"):
        source.open()
