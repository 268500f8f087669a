"""The MQTT feed rides out its store going down (a private PostgreSQL stopped and started again
on its port, a private Mosquitto): a message that arrives meanwhile is left with the broker and
stored once the store is back, and the feed goes on. Before, recording the feed's health in the
down store raised in paho's network thread, which ended the feed for good."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from apps import build_app
from sqlalchemy import func, insert, select

from live.worker import FeedWorker
from store.models import Reading, Sensor
from tests.brokers import mqtt_sources_file
from tests.private_services import PrivateMosquitto, PrivatePostgres

pytestmark = pytest.mark.integration
SENSOR = "urn:dev:store-down-aq-1"
PM25 = {"unit": "ug/m3", "warning": 75, "critical": 115, "standard": "GB 3095-2012"}


def stored(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Reading).where(Reading.sensor_id == SENSOR)
        ).scalar_one()


def wait_for(what, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    server.start()
    with server.engines_disposed():
        yield server
    server.close()


@pytest.fixture
def broker(tmp_path):
    server = PrivateMosquitto(tmp_path)
    server.start()
    yield server
    server.stop()


def senml(n: int, start: datetime) -> str:
    at = (start + timedelta(minutes=n)).timestamp()
    return json.dumps([{"bn": f"{SENSOR}:", "bt": at, "n": "pm25", "u": "ug/m3", "v": 40 + n}])


def test_a_message_arriving_while_the_store_is_down_is_stored_when_it_is_back(
    postgres, broker, tmp_path, caplog
):
    sources = mqtt_sources_file(
        tmp_path, "store-down", port=broker.port, reconnect_min_delay_s=1, reconnect_max_delay_s=2
    )
    app = build_app(
        tmp_path / "app", seed=False, database_url=postgres.url, sources_file=sources, demo_live=False
    )
    engine = app.server.extensions["onescreen"].engine
    with engine.begin() as connection:
        connection.execute(insert(Sensor), [{"id": SENSOR, "kind": "air_quality", "lon": 116.3, "lat": 39.9,
                                             "thresholds": {"pm25": PM25}}])  # fmt: skip
    worker = FeedWorker(app.server, owner="store-down")
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="store-down-publisher")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def publish(n: int) -> None:
        publisher.publish("store-down/aq", senml(n, start), qos=1).wait_for_publish(timeout=10)

    try:
        assert worker.tick(datetime.now(UTC))["listening"] == 1
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        publish(1)
        wait_for(lambda: stored(engine) == 1, 20)
        with caplog.at_level(logging.INFO):
            postgres.stop()
            publish(2)  # its batch and the feed's health cannot be written now
            time.sleep(2)
            postgres.start()
            wait_for(lambda: stored(engine) == 2, 30)  # delivered again on the resumed session
            publish(3)
            wait_for(lambda: stored(engine) == 3, 20)
        assert not [r for r in caplog.records if r.name == "data_sources.adapters.mqtt" and r.exc_info]
    finally:
        publisher.loop_stop()
        worker.close()
