"""Traffic for the fault tests (tests/integration/test_service_faults.py), each a thread that
runs until stopped and keeps what it saw: a sensor publisher (the demo park's simulated
air-quality stations as SenML, QoS 1, a persistent session), a light reader of health and API
pages, and a duty officer acknowledging alerts through the API. Each request or publish is
labelled with the phase the test is in (`Phase.name`), so statuses are counted per outage."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
import requests

from data_sources.adapters.demo_feed import senml_packs
from demo.live_feed import ParkFeed
from tests.signin import CSRF_FIELD

SIM_SPEED = 600  # simulated seconds per real second: an air station's 5-min readings every 0.5 s
REQUEST_TIMEOUT_S = 10


class Phase:
    """What the test is doing now (`steady`, `redis down`, …), read by every traffic thread."""

    def __init__(self) -> None:
        self.name = "start"


class TrafficThread(threading.Thread):
    def __init__(self, phase: Phase, every_s: float) -> None:
        super().__init__(daemon=True, name=type(self).__name__)
        self.phase = phase
        self.every_s = every_s
        self.stopping = threading.Event()
        self.failure: BaseException | None = None

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.step()
                self.stopping.wait(self.every_s)
        except BaseException as exc:  # surfaced by stop(): a dead thread must fail the test
            self.failure = exc

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        if self.failure is not None:
            raise AssertionError(f"{self.name} died: {self.failure!r}") from self.failure


class Publisher(TrafficThread):
    """The simulated stations' readings from `start` on, SIM_SPEED times faster than real time,
    published as SenML packs with QoS 1 from a fixed client id with a persistent session, so a
    message published while the broker is away is queued by the client and sent on reconnect.
    `sent`: every (sensor, quantity, time) whose message was acknowledged or queued."""

    def __init__(self, phase: Phase, port: int, topic: str, sensors: pd.DataFrame, start: datetime) -> None:
        super().__init__(phase, every_s=0.5)
        self.topic = topic
        self.feed = ParkFeed(sensors, seed=7, zone=UTC)  # type: ignore[arg-type]
        self.start_sim, self.began = start, time.monotonic()
        self.last = start
        self.sent: set[tuple[str, str, datetime]] = set()
        self.sent_in: dict[tuple[str, str, datetime], str] = {}  # the phase each was sent in
        self.refused: Counter[str] = Counter()
        # message ids sent or queued, and those the broker acknowledged (paho numbers messages
        # 1 to 65535: far more than a test sends, so an id is never used twice)
        self.queued: set[int] = set()
        self.acknowledged: set[int] = set()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"fault-publisher-{port}", clean_session=False,
            protocol=mqtt.MQTTv311,
        )  # fmt: skip
        self.client.reconnect_delay_set(1, 2)
        self.client.on_publish = self._acknowledged
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def step(self) -> None:
        now = self.start_sim + timedelta(seconds=(time.monotonic() - self.began) * SIM_SPEED)
        readings = self.feed.readings(self.last, now)
        self.last = now
        # one sensor's readings at one time per pack: the pack's readings are sent or not together
        for chunk in _by_sensor_and_time(readings):
            payload = senml_packs(chunk, records=len(chunk))[0]
            info = self.client.publish(f"{self.topic}/aq", payload, qos=1)
            if info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                self.queued.add(info.mid)
                keys = [(r.sensor_id, r.quantity, r.at) for r in chunk]
                self.sent.update(keys)
                self.sent_in.update(dict.fromkeys(keys, self.phase.name))
            else:
                self.refused[mqtt.error_string(info.rc)] += len(chunk)

    def _acknowledged(self, _client: Any, _userdata: Any, mid: int, _reason: Any, _properties: Any) -> None:
        # paho's network thread, holding its own locks: no lock of ours here (publish() takes
        # paho's). MQTTMessageInfo.is_published() raises for a message queued while disconnected.
        self.acknowledged.add(mid)

    def unacknowledged(self) -> int:
        assert len(self.queued) < 65535, "message ids were used twice"
        return len(self.queued - self.acknowledged)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _by_sensor_and_time(readings: list[Any]) -> list[list[Any]]:
    groups: dict[tuple[str, datetime], list[Any]] = {}
    for reading in readings:
        groups.setdefault((reading.sensor_id, reading.at), []).append(reading)
    return list(groups.values())


@dataclass
class Answer:
    phase: str
    path: str
    status: int | str  # the HTTP status, or the exception's name when none came


class Reader(TrafficThread):
    """GETs `paths` in turn with a token and keeps every answer's status."""

    def __init__(self, phase: Phase, base: str, token: str, paths: list[str]) -> None:
        super().__init__(phase, every_s=0.2)
        self.base, self.paths = base, paths
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.answers: list[Answer] = []
        self._next = 0

    def step(self) -> None:
        path = self.paths[self._next % len(self.paths)]
        self._next += 1
        phase = self.phase.name
        try:
            got = self.session.get(self.base + path, timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as exc:
            self.answers.append(Answer(phase, path, type(exc).__name__))
            return
        self.answers.append(Answer(phase, path, got.status_code))

    def statuses(self, phase: str) -> Counter[str]:
        return Counter(f"{a.path} {a.status}" for a in self.answers if a.phase == phase)


class DutyOfficer(TrafficThread):
    """Acknowledges `alert_ids` in turn through POST /api/v1/alerts/{id}/transitions with a duty
    officer's token; an alert whose step was not answered 2xx is tried again (a 409 after a
    step that was taken but whose answer was lost moves on). `acknowledged`: each 2xx."""

    def __init__(self, phase: Phase, base: str, token: str, alert_ids: list[str]) -> None:
        super().__init__(phase, every_s=0.5)
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self._todo = list(alert_ids)
        self.acknowledged: list[str] = []
        self.statuses: Counter[str] = Counter()

    def step(self) -> None:
        if not self._todo:
            return
        alert_id = self._todo[0]
        phase = self.phase.name
        try:
            got = self.session.post(
                f"{self.base}/api/v1/alerts/{alert_id}/transitions",
                json={"action": "acknowledge", "version": 1},
                timeout=REQUEST_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            self.statuses[f"{phase} {type(exc).__name__}"] += 1
            return
        self.statuses[f"{phase} {got.status_code}"] += 1
        if 200 <= got.status_code < 300:
            self.acknowledged.append(alert_id)
        if 200 <= got.status_code < 300 or got.status_code == 409:
            self._todo.pop(0)


class StreamListener(TrafficThread):
    """Signs in as `username` (the stream takes a session, not a token), holds /live/alerts
    open (opening it again whenever it ends or fails) and keeps the phase of each `event:
    status` it hears (`{"bus": "down"|"up"}`) and the ids of the alerts its messages name."""

    def __init__(self, phase: Phase, base: str, username: str, password: str) -> None:
        super().__init__(phase, every_s=1.0)
        self.base, self.username, self.password = base, username, password
        self.session = requests.Session()
        self.bus_states: list[tuple[str, str]] = []
        self.alerts: set[str] = set()
        self.opened: Counter[str] = Counter()

    def sign_in(self) -> None:
        form = CSRF_FIELD.search(self.session.get(f"{self.base}/login", timeout=REQUEST_TIMEOUT_S).text)
        assert form, "no sign-in form"
        self.session.post(
            f"{self.base}/login",
            data={"csrf": form.group(1), "username": self.username, "password": self.password},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT_S,
        )

    def step(self) -> None:
        try:
            if "onescreen_session" not in self.session.cookies:
                self.sign_in()
            with self.session.get(f"{self.base}/live/alerts", stream=True, timeout=(5, 30)) as got:
                self.opened[f"{self.phase.name} {got.status_code}"] += 1
                event = None
                for raw in got.iter_lines(decode_unicode=True):
                    line = str(raw)
                    if self.stopping.is_set():
                        return
                    if line.startswith("event: "):
                        event = line[len("event: ") :]
                    elif line.startswith("data: ") and event == "status":
                        self.bus_states.append((self.phase.name, json.loads(line[6:]).get("bus")))
                    elif line.startswith("data: ") and event == "alert":
                        self.alerts.add(json.loads(line[6:])["alert"]["id"])
        except requests.RequestException as exc:
            self.opened[f"{self.phase.name} {type(exc).__name__}"] += 1
