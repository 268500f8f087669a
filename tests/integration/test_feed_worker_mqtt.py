"""The production path end to end on the real Mosquitto (127.0.0.1:1883, a topic and client id of
this test's own): SenML published with QoS 1 → the mqtt source → the feed worker → the store.
Every reading sent is stored (sent = stored); ../shared/tools/replay_senml.py's mix of good packs
and bad payloads is stored or refused with its reasons while the worker goes on."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from apps import build_app
from sqlalchemy import func, select

from data_sources.adapters.demo_feed import read_sensors, senml_packs
from data_sources.feeds import problems as why
from demo.live_feed import ParkFeed
from live.worker import FeedWorker, feed_sources
from store.models import Reading
from tests.brokers import PrivateMosquitto, mqtt_sources_file

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
# The replay tool lives beside the project (../shared/tools), not in it; a clone elsewhere finds
# it through ONESCREEN_SHARED_DIR or the workplace's own copy.
_SHARED = [os.environ.get("ONESCREEN_SHARED_DIR"), ROOT.parent / "shared", "/work/shared"]
REPLAY = next(
    (
        Path(d) / "tools" / "replay_senml.py"
        for d in _SHARED
        if d and (Path(d) / "tools" / "replay_senml.py").is_file()
    ),
    None,
)
AIR_CSV = ROOT / "demo" / "data" / "air_quality_aotizhongxin_2016-09-15_2016-11-14.csv"
TOPIC = f"onescreen-test/{uuid.uuid4().hex[:12]}/sensors"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feed-mqtt")
    sources = mqtt_sources_file(folder, TOPIC)
    return build_app(folder, demo_cases=300, sources_file=sources, demo_live=False).server


@pytest.fixture(scope="module")
def worker(server):
    assert list(feed_sources(server)) == ["park-sensors"]
    made = FeedWorker(server, owner=f"it-{uuid.uuid4().hex[:8]}")
    assert made.tick(datetime.now(UTC))["listening"] == 1
    yield made
    made.close()


def wait_for(what, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def count(engine, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(Reading).where(*where)).scalar()


def test_senml_published_with_qos_1_is_stored_sent_equals_stored(server, worker):
    engine = server.extensions["onescreen"].engine
    settings = server.extensions["onescreen"].settings
    feed = ParkFeed(read_sensors(settings.store_url, "test"), seed=7, zone=settings.zone)
    # before the demo history's seven days, so nothing sent is in the store already
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    readings = feed.readings(start, start + timedelta(minutes=45))
    sent = len(readings)
    before = count(engine)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:12]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    try:
        for payload in senml_packs(readings, records=100):
            info = client.publish(f"{TOPIC}/demo", payload, qos=1)
            info.wait_for_publish(timeout=10)
            assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()
    counts = worker.counts["park-sensors"]
    wait_for(lambda: counts.received >= sent)
    assert (counts.received, counts.stored, counts.duplicates) == (sent, sent, 0)
    assert count(engine) - before == sent
    assert count(engine, Reading.at > start, Reading.at <= start + timedelta(minutes=45)) == sent


def test_replay_senml_good_packs_stored_bad_payloads_refused_with_reasons(server, worker):
    if REPLAY is None:
        pytest.skip(
            f"../shared/tools/replay_senml.py is not beside this clone ({ROOT}); set ONESCREEN_SHARED_DIR"
        )
    engine = server.extensions["onescreen"].engine
    counts = worker.counts["park-sensors"]
    received, stored, rejected = counts.received, counts.stored, sum(counts.rejected.values())
    done = subprocess.run(
        [sys.executable, str(REPLAY), str(AIR_CSV), f"{TOPIC}/replay", "--station", "aq-001", "--rows", "200"]
        + ["--bad-every", "25", "--rate", "2000"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = dict(re.findall(r"^(.+): (\d+)$", done.stdout, re.M))
    good, bad = int(printed["good readings sent"]), int(printed["bad payloads sent"])
    assert bad == 8
    # replay_senml sends CO in ug/m3; the park's stations measure it in mg/m3 (GB 3095)
    wait_for(lambda: counts.received - received + counts.rejected[why.WRONG_UNIT] >= good)
    # each bad payload refuses one record or the whole payload: at least one count each
    wait_for(lambda: sum(counts.rejected.values()) - rejected >= bad + counts.rejected[why.WRONG_UNIT])
    wrong_unit = counts.rejected[why.WRONG_UNIT]
    assert counts.received - received + wrong_unit == good
    assert counts.stored - stored == good - wrong_unit and counts.duplicates == 0
    # (its far-future pack names a device nobody registered: refused as an unknown sensor first)
    assert {why.NOT_JSON, why.NOT_FINITE, why.UNKNOWN_SENSOR, why.TOO_LARGE} <= set(counts.rejected)
    oct_2016 = (Reading.sensor_id == "urn:dev:aq-001", Reading.at < datetime(2017, 1, 1, tzinfo=UTC))
    assert count(engine, *oct_2016) == good - wrong_unit
    # the worker's monitor kept the source's health: ok, with its rejections counted by reason
    monitor = worker.listening["park-sensors"]
    assert monitor.rejected_by_reason[why.NOT_JSON] >= 1


def test_a_broker_down_at_start_marks_the_feed_down_once_and_it_is_opened_when_back(tmp_path, caplog):
    broker = PrivateMosquitto(tmp_path)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"""sources:
  park-store:
    adapter: sql
    serves: [cases, case_events, sensors, readings, alerts, features, enterprises, enterprise_figures, chains]
    options: {{url: "${{store_url}}"}}
  park-sensors:
    adapter: mqtt
    options: {{topics: ["{TOPIC}/down/#"], port: {broker.port}, connect_timeout_s: 2}}
""",
        encoding="utf-8",
    )
    server = build_app(tmp_path / "store", seed=False, sources_file=sources, demo_live=False).server
    worker = FeedWorker(server, owner="down-and-back")
    monitor = feed_sources(server)["park-sensors"]
    now = datetime.now(UTC)
    try:
        with caplog.at_level(logging.INFO, logger="live.worker"):
            assert worker.tick(now)["listening"] == 0
            assert worker.tick(now + timedelta(seconds=10))["listening"] == 0
            assert monitor.health.status == "down" and "cannot connect" in monitor.health.last_error
            broker.start()
            assert worker.tick(now + timedelta(seconds=20))["listening"] == 1
        lines = [r.getMessage() for r in caplog.records if r.name == "live.worker"]
        assert len([line for line in lines if "cannot be opened" in line]) == 1
        assert len([line for line in lines if "open again" in line]) == 1
        wait_for(lambda: monitor.health.status == "ok", timeout_s=10)
    finally:
        worker.close()
        broker.stop()
