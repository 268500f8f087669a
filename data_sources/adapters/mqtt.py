"""MqttReadingSource: sensor readings from an MQTT broker (paho-mqtt 2, MQTT 5), as SenML JSON
(RFC 8428) or mapped plain JSON, checked on intake (data_sources.feeds.intake).

Nothing is lost across an outage: the client keeps a stable client id and a persistent session
(clean start off, a session expiry interval), subscribes at QoS 1, and acknowledges a message
only after the sink took its batch (manual acks), so the broker keeps every message published
with QoS 1 while we are away or while the sink fails, and delivers it when the session resumes.
The broker bounds what it queues for an absent client (Mosquitto: `max_queued_messages`, 1000 by
default); size it for the longest outage to ride out. paho reconnects with back-off
(`reconnect_min_delay_s` doubling up to `reconnect_max_delay_s`).

A PUSH source: `listen(sink, on_state, catalog=...)` before `open()`. `fetch` serves the newest
`recent_rows` accepted readings (INCREMENTAL: those after `since`) for a caller that polls.
paho's errors become SourceUnavailable (cannot connect, connection refused as unavailable) or
SourceMisconfigured (refused as not authorised, a bad client id or topic)."""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ConfigDict, Field

from data_sources.base import INCREMENTAL, PUSH, DataSource, PushBatch, Sink, StateSink
from data_sources.contracts import READINGS
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.feeds.intake import (
    IntakeLimits,
    PayloadFormat,
    Reading,
    SenmlFormat,
    SensorCatalog,
    decode_payload,
)
from data_sources.validation import conform

log = logging.getLogger(__name__)

Catalog = SensorCatalog | Callable[[], SensorCatalog | None] | None
# CONNACK reason codes no retry fixes (MQTT 5, 3.2.2.2): the configuration must change
_PERMANENT = {"Bad user name or password", "Not authorized", "Client identifier not valid", "Banned"}


class MqttOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    topics: list[str] = Field(min_length=1)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)  # default onescreen-<source>
    qos: int = Field(default=1, ge=0, le=2)
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)  # how long the broker keeps us queued
    keepalive_s: int = Field(default=30, ge=5)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    reconnect_min_delay_s: int = Field(default=1, ge=1)
    reconnect_max_delay_s: int = Field(default=60, ge=1)
    username: str | None = None
    password_env: str | None = None  # the environment variable holding the password
    format: PayloadFormat = SenmlFormat()
    limits: IntakeLimits = IntakeLimits()
    recent_rows: int = Field(default=10_000, ge=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MqttReadingSource(DataSource):
    """Readings over MQTT. Thread-safe: paho's network thread calls the sink and `on_state`;
    open/close/fetch may be called from any one other thread at a time."""

    kind = "mqtt"
    contracts = frozenset({"readings"})
    capabilities = frozenset({PUSH, INCREMENTAL})
    Options = MqttOptions
    options: MqttOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        self._where = f"source {name!r} (mqtt)"
        self.client_id = self.options.client_id or f"onescreen-{name}"[:64]
        self.clock: Callable[[], datetime] = _utc_now
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()
        self._recent: deque[Reading] = deque(maxlen=self.options.recent_rows)
        self._sink: Sink | None = None
        self._on_state: StateSink | None = None
        self._catalog: Catalog = None
        self._connack = threading.Event()
        self._subscribed = threading.Event()
        self._refused: str | None = None
        self._down: str | None = "not opened"
        self._restarting = False
        self._closed = False
        self._closing = threading.Event()  # wakes a resume waiting out its back-off
        self._sink_failures = 0  # in a row

    def listen(self, sink: Sink, on_state: StateSink, *, catalog: Catalog = None, **context: Any) -> None:
        """Deliver each message's batch to `sink` (from paho's thread; acknowledged only once it
        returns) and connection changes to `on_state`. `catalog` (the registered sensors, or a
        function returning them, called per message) adds the sensor and unit checks."""
        if context:
            raise SourceMisconfigured(f"{self._where}: listen() takes no {', '.join(sorted(context))}")
        self._sink, self._on_state, self._catalog = sink, on_state, catalog

    def open(self) -> None:
        """Connect, wait for the broker's CONNACK and SUBACK (up to `connect_timeout_s`) and
        start paho's network thread. Blocks. Raises SourceUnavailable when the broker cannot be
        reached or is not answering, SourceMisconfigured when it refuses us for good."""
        with self._lock:
            if self._client is not None:
                return
            variable = self.options.password_env
            if variable is not None and variable not in os.environ:
                raise SourceMisconfigured(f"{self._where}: password_env: {variable} is not set")
            self._closed = False
            self._closing.clear()
            client = self._make_client()
            self._connack.clear()
            self._subscribed.clear()
            self._refused = None
            try:
                client.connect(
                    self.options.host,
                    self.options.port,
                    keepalive=self.options.keepalive_s,
                    clean_start=False,
                    properties=self._connect_properties(),
                )
            except (OSError, ValueError) as exc:
                raise SourceUnavailable(f"{self._where}: cannot connect to {self._address}: {exc}") from exc
            client.loop_start()
            self._client = client
        answered = self._connack.wait(self.options.connect_timeout_s) and (
            self._refused is not None or self._subscribed.wait(self.options.connect_timeout_s)
        )
        if not answered or self._refused is not None:
            refused = self._refused
            self.close()
            if refused is None:
                raise SourceUnavailable(f"{self._where}: {self._address} did not answer within the timeout")
            if refused in _PERMANENT or refused.startswith("subscription"):
                raise SourceMisconfigured(f"{self._where}: {self._address} refused us: {refused}")
            raise SourceUnavailable(f"{self._where}: {self._address} refused us: {refused}")

    def close(self) -> None:
        """Disconnect (the broker keeps the session for `session_expiry_s`). Never raises."""
        with self._lock:
            client, self._client = self._client, None
            self._closed = True
            self._closing.set()
        if client is not None:
            client.disconnect()
            client.loop_stop()
        self._down = "closed"

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """The newest accepted readings (after `since` when given). Raises SourceUnavailable
        while not connected (the rows kept are then served by the monitor as stale)."""
        if contract not in self.contracts:
            raise ContractError(f"{self._where} provides 'readings', not {contract!r}")
        if self._client is None or not self._client.is_connected():
            raise SourceUnavailable(f"{self._where}: not connected to {self._address}: {self._down}")
        with self._lock:
            rows = [r for r in self._recent if since is None or r.at > since]
        return conform(pd.DataFrame(rows, columns=list(Reading._fields)), READINGS)

    @property
    def _address(self) -> str:
        return f"mqtt://{self.options.host}:{self.options.port}"

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.connect_timeout = self.options.connect_timeout_s
        client.reconnect_delay_set(self.options.reconnect_min_delay_s, self.options.reconnect_max_delay_s)
        if self.options.username is not None:
            password = os.environ.get(self.options.password_env) if self.options.password_env else None
            client.username_pw_set(self.options.username, password)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _connect_properties(self) -> Properties:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.options.session_expiry_s
        return properties

    def _state(self, up: bool, reason: str | None) -> None:
        self._down = None if up else reason
        if self._on_state is not None:
            try:
                self._on_state(up, reason)
            except Exception:  # a fault of ours must not end paho's network thread, and the feed with it
                log.exception("%s: its connection's state could not be passed on", self._where)

    def _on_connect(self, client: mqtt.Client, _: Any, flags: Any, reason: ReasonCode, __: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            self._connack.set()
            self._state(False, f"connection refused: {reason}")
            return
        # subscribing again on a resumed session is harmless and picks up a changed topic list
        client.subscribe([(topic, self.options.qos) for topic in self.options.topics])
        self._connack.set()

    def _on_subscribe(self, _: mqtt.Client, __: Any, ___: int, reasons: list[ReasonCode], ____: Any) -> None:
        refused = [f"{t} ({r})" for t, r in zip(self.options.topics, reasons, strict=False) if r.is_failure]
        if refused:
            self._refused = f"subscription refused: {', '.join(refused)}"
            self._state(False, self._refused)
        else:
            self._state(True, None)
        self._subscribed.set()

    def _on_connect_fail(self, _: mqtt.Client, __: Any) -> None:
        self._state(False, f"cannot connect to {self._address}")

    def _on_disconnect(self, _: mqtt.Client, __: Any, ___: Any, reason: ReasonCode, ____: Any) -> None:
        if self._client is not None:
            self._state(False, f"connection lost: {reason}")

    def _on_message(self, client: mqtt.Client, _: Any, message: mqtt.MQTTMessage) -> None:
        now = self.clock()
        try:
            catalog = self._catalog() if callable(self._catalog) else self._catalog
            intake = decode_payload(message.payload, self.options.format, now, self.options.limits, catalog)
        except Exception:  # a fault of ours must not end paho's network thread, and the feed with it
            log.exception(
                "%s: a message on %s could not be decoded; left unacknowledged", self._where, message.topic
            )
            return
        batch = PushBatch(
            self.name,
            READINGS.name,
            intake.readings,
            intake.rejections(self.name),
            now,
            message.topic,
            dict(intake.counts),
        )
        if self._sink is not None:
            try:
                self._sink(batch)
            except Exception as exc:  # the sink (the worker's store) did not take it
                self._sink_failed(exc)
                return
            if self._sink_failures:
                log.info("%s: the sink takes batches again", self._where)
                self._sink_failures = 0
        with self._lock:
            self._recent.extend(intake.readings)
        client.ack(message.mid, message.qos)

    def _sink_failed(self, exc: Exception) -> None:
        """Leave the message unacknowledged and resume the session, so the broker delivers it
        (and what came after it) again; MQTT 5 redelivers only on a new connection. While the
        sink keeps failing the resumes back off as reconnects do; one log line per streak."""
        with self._lock:
            if self._restarting or self._client is None:
                return
            self._restarting = True
            self._sink_failures += 1
        if self._sink_failures == 1:
            log.warning("%s: the sink refused a batch (%s); it will be delivered again", self._where, exc)
        self._state(False, f"the sink refused a batch: {exc}")
        threading.Thread(target=self._resume, name=f"mqtt-resume-{self.name}", daemon=True).start()

    def _resume(self) -> None:
        # a fresh paho client: one whose network thread was stopped cannot start another
        # without leaking the socket pair it wakes that thread with
        with self._lock:
            old, self._client = self._client, None
        try:
            if old is None:
                return  # closed meanwhile
            old.disconnect()  # the session stays: its expiry interval is not changed
            old.loop_stop()
            delay = min(
                self.options.reconnect_min_delay_s * 2 ** (self._sink_failures - 1),
                self.options.reconnect_max_delay_s,
            )
            if self._closing.wait(delay):
                return
            client = self._make_client()
            client.connect_async(
                self.options.host,
                self.options.port,
                keepalive=self.options.keepalive_s,
                clean_start=False,
                properties=self._connect_properties(),
            )
            with self._lock:
                if self._closed:
                    return
                self._client = client
            client.loop_start()  # paho's loop connects, retrying with back-off
        finally:
            self._restarting = False
