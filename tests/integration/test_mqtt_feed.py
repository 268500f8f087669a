"""MqttReadingSource against the real Mosquitto on 127.0.0.1:1883 (a topic and client id of its
own per test), and against a private Mosquitto on a free port for the tests that stop it:
readings arrive decoded, bad payloads are refused with reasons while the feed keeps going, and
every message published with QoS 1 while the adapter or the broker was away arrives after they
come back (sent = received)."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest

from data_sources.adapters.mqtt import MqttReadingSource
from data_sources.base import PushBatch
from data_sources.errors import SourceMisconfigured, SourceUnavailable
from data_sources.feeds import problems as why
from data_sources.feeds.intake import SensorCatalog
from data_sources.health import HealthBook
from data_sources.monitor import SourceMonitor
from tests.brokers import PrivateMosquitto
from tests.servers import free_port

pytestmark = pytest.mark.integration
SHARED = 1883
SENSOR = "urn:dev:aq-001"
CATALOG = SensorCatalog({SENSOR: {"pm25": "ug/m3", "co": "mg/m3"}})


class Collected:
    """A sink that keeps what it is given and lets a test wait for a count."""

    def __init__(self, fail_first: int = 0) -> None:
        self.batches: list[PushBatch] = []
        self.fail_first = fail_first
        self.refused = 0
        self._changed = threading.Condition()

    def __call__(self, batch: PushBatch) -> None:
        with self._changed:
            if self.refused < self.fail_first:
                self.refused += 1
                raise RuntimeError("store is down")
            self.batches.append(batch)
            self._changed.notify_all()

    def readings(self) -> list:
        return [row for batch in self.batches for row in batch.rows]

    def wait_for(self, what: Callable[[], bool], timeout_s: float = 20) -> None:
        with self._changed:
            assert self._changed.wait_for(what, timeout=timeout_s), f"timed out; {len(self.batches)} batches"


@pytest.fixture
def topic() -> str:
    return f"onescreen-test/{uuid.uuid4().hex}"


def make_source(topic: str, port: int = SHARED, **options) -> MqttReadingSource:
    # a short session expiry: the shared broker forgets the test's session soon after
    options = {"topics": [topic], "port": port, "client_id": f"t-{uuid.uuid4().hex[:16]}",
               "session_expiry_s": 300, "reconnect_min_delay_s": 1, "reconnect_max_delay_s": 2, **options}  # fmt: skip
    return MqttReadingSource("park-feed", options)


@pytest.fixture
def publisher() -> Iterator[Callable[..., mqtt.Client]]:
    clients: list[mqtt.Client] = []

    def connect(port: int = SHARED) -> mqtt.Client:
        # as replay_senml.py publishes: QoS 1, a session kept across the broker's restarts
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"p-{uuid.uuid4().hex[:16]}",
                             clean_session=False)  # fmt: skip
        client.reconnect_delay_set(min_delay=1, max_delay=2)
        client.connect("127.0.0.1", port)
        client.loop_start()
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.disconnect()
        client.loop_stop()


def pack(value: float, at: datetime, quantity: str = "pm25", unit: str = "ug/m3") -> bytes:
    return json.dumps(
        [{"bn": f"{SENSOR}:", "bt": at.timestamp(), "n": quantity, "u": unit, "v": value}]
    ).encode()


def publish(client: mqtt.Client, topic: str, payload: bytes, give_up_s: float = 30) -> None:
    """Publish with QoS 1 until the broker has it, as replay_senml.py does (paho refuses to
    publish while it is not connected)."""
    deadline = time.monotonic() + give_up_s
    while True:
        try:
            info = client.publish(topic, payload, qos=1)
            info.wait_for_publish(timeout=5)
            if info.is_published():
                return
        except (RuntimeError, ValueError):
            pass
        assert time.monotonic() < deadline, "the broker did not come back"
        time.sleep(0.2)


def test_readings_published_with_qos_1_arrive_decoded(topic, publisher):
    sink = Collected()
    source = make_source(topic)
    states: list[tuple[bool, str | None]] = []
    source.listen(sink, lambda up, why_not: states.append((up, why_not)), catalog=CATALOG)
    source.open()
    try:
        client = publisher()
        at = datetime.now(UTC).replace(microsecond=0)
        payload = json.dumps([
            {"bn": f"{SENSOR}:", "bt": at.timestamp(), "n": "pm25", "u": "ug/m3", "v": 41.5},
            {"n": "co", "u": "mg/m3", "v": 0.9, "t": -60},
        ]).encode()  # fmt: skip
        publish(client, topic, payload)
        sink.wait_for(lambda: len(sink.batches) == 1)
    finally:
        source.close()
    (batch,) = sink.batches
    assert (batch.source, batch.contract, batch.origin, list(batch.rejections)) == (
        "park-feed",
        "readings",
        topic,
        [],
    )
    frame = batch.frame()
    assert frame.to_dict("records") == [
        {"sensor_id": SENSOR, "quantity": "pm25", "unit": "ug/m3", "value": 41.5, "at": at},
        {
            "sensor_id": SENSOR,
            "quantity": "co",
            "unit": "mg/m3",
            "value": 0.9,
            "at": at - timedelta(seconds=60),
        },
    ]
    assert states[0] == (True, None)


def test_bad_payloads_are_refused_with_reasons_and_the_feed_keeps_going(topic, publisher):
    sink = Collected()
    book = HealthBook()
    monitor = SourceMonitor(make_source(topic), book)
    monitor.listen(sink, catalog=CATALOG)
    try:
        client = publisher()
        now = datetime.now(UTC).replace(microsecond=0)
        bad = [  # as ../shared/tools/replay_senml.py mixes them in
            b"not json at all",
            b'{"bn": "x"',
            b'[{"n": "pm25", "v": NaN}]',
            json.dumps([{"bn": "urn:dev:unknown-sensor:", "n": "pm25", "u": "ug/m3", "v": 1}]).encode(),
            json.dumps([{"bn": f"{SENSOR}:", "bt": 4102444800, "n": "pm25", "u": "ug/m3", "v": 1}]).encode(),
            b"[" + b'{"n":"pm25","v":1},' * 60000 + b'{"n":"pm25","v":1}]',
            pack(800, now, "co", "ug/m3"),  # CO is measured in mg/m3
        ]
        for i, payload in enumerate(bad):
            publish(client, topic, pack(i, now + timedelta(seconds=i - 60)))
            publish(client, topic, payload)
        sink.wait_for(lambda: len(sink.batches) == 2 * len(bad))
    finally:
        monitor.close()
    assert [r.value for r in sink.readings()] == list(range(len(bad)))
    assert dict(monitor.rejected_by_reason) == {
        why.NOT_JSON: 2, why.NOT_FINITE: 1, why.UNKNOWN_SENSOR: 1, why.IN_FUTURE: 1, why.TOO_LARGE: 1,
        why.WRONG_UNIT: 1,
    }  # fmt: skip
    kept = book.recent_rejections("park-feed")
    assert len(kept) == len(bad)
    assert all(r.source == "park-feed" and r.contract == "readings" and r.reason for r in kept)
    health = book.get("park-feed")
    assert health is not None and health.batch("readings").newest_at == now + timedelta(seconds=len(bad) - 61)


def test_messages_sent_while_the_adapter_was_away_arrive_when_it_comes_back(topic, publisher):
    client_id = f"t-{uuid.uuid4().hex[:16]}"
    first = Collected()
    source = make_source(topic, client_id=client_id)
    source.listen(first, lambda *_: None, catalog=CATALOG)
    source.open()
    source.close()  # the broker keeps the session and queues for it
    client = publisher()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    sent = 300
    for i in range(sent):
        publish(client, topic, pack(i, start + timedelta(seconds=i)))
    again = Collected()
    back = make_source(topic, client_id=client_id)  # the same stable client id: a new process
    back.listen(again, lambda *_: None, catalog=CATALOG)
    back.open()
    try:
        again.wait_for(lambda: len(again.readings()) >= sent)
        time.sleep(0.3)  # nothing more may come
    finally:
        back.close()
    assert first.batches == []
    assert sorted(r.value for r in again.readings()) == list(range(sent))  # sent = received


def test_a_batch_the_sink_refuses_is_delivered_again(topic, publisher, caplog):
    caplog.set_level(logging.INFO, logger="data_sources.adapters.mqtt")
    sink = Collected(fail_first=2)
    source = make_source(topic)
    source.listen(sink, lambda *_: None, catalog=CATALOG)
    source.open()
    try:
        client = publisher()
        now = datetime.now(UTC).replace(microsecond=0)
        started = time.monotonic()
        publish(client, topic, pack(0, now))  # refused twice: two resumes, the second waits longer
        sink.wait_for(lambda: len(sink.readings()) == 1)
        waited = time.monotonic() - started
        for i in range(1, 5):
            publish(client, topic, pack(i, now - timedelta(seconds=i)))
        sink.wait_for(lambda: {r.value for r in sink.readings()} == set(range(5)))
    finally:
        source.close()
    assert sink.refused == 2
    assert waited >= 1 + 2 - 0.2, "the second resume waits twice as long as the first"
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "data_sources.adapters.mqtt"]
    assert [level for level, _ in logged] == [logging.WARNING, logging.INFO], "one line per streak"
    assert "store is down" in logged[0][1]


def test_the_broker_going_down_and_back_loses_nothing_sent_with_qos_1(tmp_path, topic, publisher):
    broker = PrivateMosquitto(tmp_path)
    broker.start()
    sink = Collected()
    book = HealthBook()
    monitor = SourceMonitor(make_source(topic, port=broker.port), book, down_after=2)
    monitor.listen(sink, catalog=CATALOG)
    try:
        assert book.get("park-feed").status == "ok"
        client = publisher(broker.port)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        for i in range(100):
            publish(client, topic, pack(i, start + timedelta(seconds=i)))
        sink.wait_for(lambda: len(sink.readings()) == 100)
        broker.stop()
        sink.wait_for(lambda: book.get("park-feed").status == "down", timeout_s=30)
        health = book.get("park-feed")
        assert "cannot connect" in health.last_error or "connection lost" in health.last_error
        # the publisher keeps trying while the broker is away, as replay_senml.py does
        threading.Timer(2, broker.start).start()
        for i in range(100, 200):
            publish(client, topic, pack(i, start + timedelta(seconds=i)))
        sink.wait_for(lambda: len({r.value for r in sink.readings()}) == 200, timeout_s=30)
        sink.wait_for(lambda: book.get("park-feed").status == "ok")
    finally:
        monitor.close()
        broker.stop()
    assert {r.value for r in sink.readings()} == set(range(200))  # sent = received


def test_a_broker_that_is_not_there_is_unavailable_at_open(topic):
    source = make_source(topic, port=free_port(), connect_timeout_s=2)
    with pytest.raises(SourceUnavailable, match="cannot connect"):
        source.open()
    source.close()


def test_a_broker_that_refuses_us_is_a_configuration_error(tmp_path, topic):
    broker = PrivateMosquitto(tmp_path, anonymous=False)
    broker.start()
    try:
        source = make_source(topic, port=broker.port, connect_timeout_s=5)
        with pytest.raises(SourceMisconfigured, match="Not authorized"):
            source.open()
        source.close()
    finally:
        broker.stop()
