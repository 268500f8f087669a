"""The private servers tests stop and restart (tests/private_services.py) keep what the real
ones keep across a restart on the same port: Mosquitto a persistent session and the QoS 1
messages queued for it, PostgreSQL its data."""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import create_engine, text

from tests.private_services import PrivateMosquitto, PrivatePostgres

pytestmark = pytest.mark.integration


def subscriber(port: int, heard: list[bytes], connected: threading.Event) -> mqtt.Client:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="private-subscriber", protocol=mqtt.MQTTv5
    )

    def on_message(_client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        heard.append(bytes(message.payload))

    def on_connect(client: mqtt.Client, *_: Any) -> None:
        client.subscribe("kept/#", qos=1)
        connected.set()

    client.on_message = on_message
    client.on_connect = on_connect
    expiry = Properties(PacketTypes.CONNECT)
    expiry.SessionExpiryInterval = 600
    client.connect("127.0.0.1", port, clean_start=False, properties=expiry)
    client.loop_start()
    return client


def test_mosquitto_keeps_a_session_and_its_queued_messages_across_a_restart(tmp_path):
    broker = PrivateMosquitto(tmp_path)
    broker.start()
    heard: list[bytes] = []
    connected = threading.Event()
    first = subscriber(broker.port, heard, connected)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="private-publisher")
    try:
        assert connected.wait(10)
        first.loop_stop()  # the subscriber is away from here on; its session stays
        broker.restart()
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        for n in range(3):
            publisher.publish("kept/a", str(n), qos=1).wait_for_publish(timeout=10)
        connected.clear()
        second = subscriber(broker.port, heard, connected)
        assert connected.wait(10)
        deadline = time.monotonic() + 10
        while len(heard) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        second.disconnect()
        second.loop_stop()
        assert heard == [b"0", b"1", b"2"]
    finally:
        publisher.loop_stop()
        broker.stop()


def test_postgres_keeps_its_data_across_a_restart():
    server = PrivatePostgres()
    server.start()
    try:
        engine = create_engine(server.url, pool_pre_ping=True)  # as the app's (store/engine.py)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE kept (n int)"))
            connection.execute(text("INSERT INTO kept VALUES (7)"))
        server.restart()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT n FROM kept")).scalar_one() == 7
        engine.dispose()
    finally:
        server.close()
