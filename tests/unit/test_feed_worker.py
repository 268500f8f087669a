"""The feed worker (live/worker.py) on a real demo-park store: batches stored once (sent = stored +
duplicates), a late reading at its own time, an unregistered sensor and a malformed payload
refused with their reasons while it goes on, retention rolling old hours into hourly aggregates,
one worker holding the lease, and the demo feed keeping the park's readings current."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import delete, func, select

from data_sources.base import PushBatch
from data_sources.feeds import problems as why
from data_sources.feeds.intake import IntakeLimits, SenmlFormat, decode_payload
from demo.live_feed import Incident
from live.worker import FeedWorker, feed_sources, should_run
from services.feed_counts import feed_counts
from store.engine import begin_write
from store.models import Alert, Reading, ReadingHourly
from store.reading_rows import insert_readings

SENSOR = "urn:dev:gs-001"
SECONDS = itertools.count()  # distinct times for tests that each store one reading


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("worker"), demo_cases=300)


@pytest.fixture(scope="module")
def server(app):
    return app.server


@pytest.fixture
def worker(server):
    made = FeedWorker(server, owner="test-worker")
    yield made
    made.close()


@pytest.fixture(scope="module")
def engine(server):
    return server.extensions["onescreen"].engine


def batch(worker: FeedWorker, payload: bytes | list, now: datetime, source: str = "test-feed") -> PushBatch:
    """The batch a feed would deliver for `payload`, checked against the store's sensors."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    intake = decode_payload(raw, SenmlFormat(), now, IntakeLimits(), worker.catalog())
    return PushBatch(
        source, "readings", intake.readings, intake.rejections(source), now, "t", dict(intake.counts)
    )


def pack(values: list[float], start: datetime, sensor: str = SENSOR, step_s: int = 60) -> list[dict]:
    return [
        {"bn": f"{sensor}:", "bt": start.timestamp(), "n": "ch4", "u": "%LEL", "v": v, "t": i * step_s}
        if i == 0
        else {"n": "ch4", "u": "%LEL", "v": v, "t": i * step_s}
        for i, v in enumerate(values)
    ]


def stored(engine, sensor: str, times: list[datetime]) -> list[tuple[datetime, float]]:
    """The sensor's ch4 readings at `times` (the demo history has others around them)."""
    with engine.connect() as c:
        rows = c.execute(
            select(Reading.at, Reading.value)
            .where(Reading.sensor_id == sensor, Reading.quantity == "ch4", Reading.at.in_(times))
            .order_by(Reading.at)
        )
        return [(at, value) for at, value in rows]


def test_a_batch_is_stored_once_and_a_duplicate_is_dropped_and_counted(worker, engine):
    now = datetime.now(UTC).replace(microsecond=0)
    start = now + timedelta(minutes=-300)
    first = batch(worker, pack([1.0, 1.2, 1.4, 1.1], start), now)
    assert worker.take(first) == 4
    again = batch(worker, pack([1.0, 1.2, 9.9, 1.1, 1.3], start), now)  # 4 known, 1 new
    assert worker.take(again) == 1
    counts = worker.counts["test-feed"]
    assert (counts.received, counts.stored, counts.duplicates) == (9, 5, 4)
    assert counts.received == counts.stored + counts.duplicates
    # the first value of a time is kept: a redelivered message cannot change a reading
    times = [start + timedelta(minutes=i) for i in range(5)]
    assert [v for _, v in stored(engine, SENSOR, times)] == [1.0, 1.2, 1.4, 1.1, 1.3]


def test_a_late_reading_is_placed_at_its_own_time(worker, engine):
    now = datetime.now(UTC).replace(microsecond=0)
    base = now - timedelta(minutes=200)
    worker.take(batch(worker, pack([2.0, 2.0], base, step_s=600), now))
    late = batch(worker, pack([7.5], base + timedelta(minutes=5)), now + timedelta(minutes=1))
    assert worker.take(late) == 1
    rows = stored(engine, SENSOR, [base + timedelta(minutes=m) for m in range(11)])
    assert rows == [(base, 2.0), (base + timedelta(minutes=5), 7.5), (base + timedelta(minutes=10), 2.0)]


def test_an_unregistered_sensor_is_refused_with_its_reason_and_the_rest_kept(worker, engine):
    now = datetime.now(UTC).replace(microsecond=0)
    at = now - timedelta(minutes=123)
    payload = pack([3.0], at) + [{"bn": "urn:dev:nobody-001:", "n": "ch4", "u": "%LEL", "v": 3.0}]
    delivered = batch(worker, payload, now, source="mixed")
    assert delivered.counts == {why.UNKNOWN_SENSOR: 1}
    assert [r.reason for r in delivered.rejections] == [f"{why.UNKNOWN_SENSOR}: urn:dev:nobody-001"]
    assert worker.take(delivered) == 1
    assert worker.counts["mixed"].rejected == {why.UNKNOWN_SENSOR: 1}
    with engine.connect() as c:
        assert c.execute(select(func.count()).where(Reading.sensor_id == "urn:dev:nobody-001")).scalar() == 0


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json at all", why.NOT_JSON),
        (b'{"bn": "x"', why.NOT_JSON),
        (b'[{"bn": "urn:dev:gs-001:", "n": "ch4", "v": NaN}]', why.NOT_FINITE),
        (b"[" + b'{"n":"ch4","v":1},' * 60000 + b'{"n":"ch4","v":1}]', why.TOO_LARGE),
        (json.dumps([{"bn": f"{SENSOR}:", "bt": 4102444800, "n": "ch4", "v": 1}]).encode(), why.IN_FUTURE),
        (json.dumps([{"bn": f"{SENSOR}:", "n": "ch4", "u": "ppm", "v": 1}]).encode(), why.WRONG_UNIT),
    ],
)
def test_a_bad_payload_is_counted_and_the_worker_goes_on(worker, engine, payload, reason):
    now = datetime.now(UTC).replace(microsecond=0)
    bad = batch(worker, payload, now, source="bad")
    assert worker.take(bad) == 0
    assert worker.counts["bad"].rejected[reason] == 1
    good = batch(worker, pack([0.5], now - timedelta(minutes=61 + 7 * next(SECONDS))), now, source="bad")
    assert worker.take(good) == 1


def test_retention_rolls_a_day_into_hourly_aggregates_and_deletes_the_raw_rows(server, engine):
    now = datetime(2030, 1, 20, 12, 30, tzinfo=UTC)  # readings_raw_days (7) after the history
    day = datetime(2030, 1, 10, tzinfo=UTC)
    sensor = "urn:dev:sm-001"
    rows = [
        (sensor, "obscuration", "%/m", float(h * 10 + m % 7), day + timedelta(hours=h, minutes=m))
        for h in range(24)
        for m in range(0, 60, 2)
    ]
    with begin_write(engine) as c:
        c.execute(delete(Reading).where(Reading.at < now))  # only this test's rows remain old
        assert insert_readings(c, rows) == len(rows)
        insert_readings(c, [(sensor, "obscuration", "%/m", 0.1, now - timedelta(days=6))])  # kept
    worker = FeedWorker(server, owner="retention")
    assert worker.roll_up(now, max_hours=10) == 10 * 30  # bounded: ten hours this round
    assert worker.roll_up(now, max_hours=100) == 14 * 30
    assert worker.roll_up(now) == 0
    with engine.connect() as c:
        hourly = c.execute(
            select(
                ReadingHourly.hour, ReadingHourly.n, ReadingHourly.mean, ReadingHourly.min, ReadingHourly.max
            )
            .where(ReadingHourly.sensor_id == sensor, ReadingHourly.hour >= day)
            .order_by(ReadingHourly.hour)
        ).all()
        raw_old = c.execute(select(func.count()).where(Reading.at < now - timedelta(days=7))).scalar()
        raw_kept = c.execute(select(func.count()).where(Reading.sensor_id == sensor)).scalar()
    assert raw_old == 0 and raw_kept == 1
    assert len(hourly) == 24
    values = [m % 7 for m in range(0, 60, 2)]
    for h, (hour, n, mean, low, high) in enumerate(hourly):
        assert hour == day + timedelta(hours=h) and n == 30
        assert mean == pytest.approx(h * 10 + sum(values) / 30)
        assert (low, high) == (h * 10 + 0, h * 10 + 6)
    # a late reading for a rolled hour is merged into its aggregate, not replacing it
    with begin_write(engine) as c:
        insert_readings(c, [(sensor, "obscuration", "%/m", 100.0, day + timedelta(minutes=1))])
    assert worker.roll_up(now) == 1
    with engine.connect() as c:
        n, mean, high = c.execute(
            select(ReadingHourly.n, ReadingHourly.mean, ReadingHourly.max).where(
                ReadingHourly.sensor_id == sensor, ReadingHourly.hour == day
            )
        ).one()
    assert (n, high) == (31, 100.0) and mean == pytest.approx((sum(values) + 100) / 31)
    with begin_write(engine) as c:  # the row kept in 2030 would be the store's newest
        c.execute(delete(Reading).where(Reading.at >= day))


def test_one_worker_holds_the_lease(server):
    now = datetime.now(UTC) - timedelta(hours=1)  # its leases have run out when the next test starts
    first, second = FeedWorker(server, owner="one"), FeedWorker(server, owner="two")
    try:
        assert first.tick(now)["lease"] == 1
        assert second.tick(now + timedelta(seconds=10))["lease"] == 0
        # the holder stopped renewing: after three ticks' time another takes over
        assert second.tick(now + timedelta(seconds=31))["lease"] == 1
    finally:
        first.close()
        second.close()


def test_the_demo_feed_keeps_the_parks_readings_current(server, engine):
    settings = server.extensions["onescreen"].settings
    assert should_run(settings) and list(feed_sources(server)) == ["demo-feed"]
    worker = FeedWorker(server, owner="live")
    started = datetime.now(UTC)
    try:
        assert worker.tick(started)["listening"] == 1
        deadline = time.monotonic() + 90
        while _newest(engine) <= started and time.monotonic() < deadline:  # a round after the catch-up
            time.sleep(0.5)
        worker.tick(datetime.now(UTC))
    finally:
        worker.close()
    counts = worker.counts["demo-feed"]
    # the catch-up repeats what an earlier test's worker stored: dropped as duplicates
    assert counts.stored > 0 and counts.rejected == {}
    assert counts.received == counts.stored + counts.duplicates
    assert _newest(engine) > started
    with engine.connect() as c:
        recent = c.execute(
            select(Reading.sensor_id, Reading.at).where(Reading.at > started - timedelta(minutes=30))
        ).all()
    # the history's readings sit on 5-minute marks; the feed's at each sensor's own phase
    fed = {sensor for sensor, at in recent if at.second or at.minute % 5}
    assert len(fed) >= 75  # the park's 80 IoT sensors, a few phases on a mark or one silent
    saved = feed_counts(engine, "demo-feed")
    assert saved["stored"] == counts.stored and saved["received"] == counts.received
    health = server.extensions["onescreen"].sources.monitors["demo-feed"].health
    assert health.status == "ok" and health.batch("readings").newest_at > started


def _newest(engine) -> datetime:
    with engine.connect() as c:
        return c.execute(select(func.max(Reading.at))).scalar()


def test_a_scheduled_incidents_readings_raise_its_alert_through_the_worker(worker, engine):
    """The smoke detector of a demo incident, fed through the worker reading by reading as the
    feed sends them: the alert engine raises smoke_alarm, critical, for that sensor."""
    sensor = "urn:dev:sm-003"
    now = datetime.now(UTC).replace(microsecond=0)
    incident = Incident("smoke_firing", sensor, now - timedelta(minutes=9), now + timedelta(minutes=13))
    for minutes in range(30, -1, -2):
        at = now - timedelta(minutes=minutes)
        value = round(max(0.05, incident.offset(at)), 2)
        pack = [{"bn": f"{sensor}:", "bt": at.timestamp(), "n": "obscuration", "u": "%/m", "v": value}]
        worker.take(batch(worker, pack, now))
    assert worker.drain()
    with engine.connect() as c:
        raised = c.execute(
            select(Alert.severity, Alert.value).where(
                Alert.sensor_id == sensor,
                Alert.rule == "smoke_alarm",
                Alert.raised_at > now - timedelta(minutes=30),
            )
        ).all()
    assert [severity for severity, _ in raised] == ["critical"]
    assert raised[0][1] >= 4.0


def test_checking_a_feed_on_the_sources_page_does_not_open_a_second_listener(server):
    services = server.extensions["onescreen"]
    source = services.sources.monitors["demo-feed"].source
    health = services.snapshots.check("demo-feed")
    assert source._thread is None  # only the worker opens it
    assert health.source == "demo-feed"
