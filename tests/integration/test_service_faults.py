"""Faults (issue 14): PostgreSQL, Redis and the MQTT broker restarted in turn under load, each a
private instance on a free port (tests/private_services.py), never the machine's own. The app
runs as in production: gunicorn in the production profile and the feed worker (`flask --app app
worker`) subscribed to an mqtt source on the private broker. While a publisher sends the demo
park's simulated air stations' readings over MQTT (QoS 1, persistent session), a reader asks for
health and API pages and a duty officer acknowledges alerts through the API, each service is
stopped, kept down OUTAGE_S and started again on its port. During an outage the app answers
what it can (no 500s; /readyz names what is down or stale); after it the app recovers by itself
within RECOVER_S with no restart; every acknowledgement answered 2xx is in the store, and every
reading the publisher sent is stored. Counts are printed as `name: value unit`."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import redis
import requests
from live_alerts import write_alert
from sqlalchemy import Engine, distinct, func, insert, select, tuple_

from demo.sensors import SENSOR_KINDS
from security import tokens
from security.users import create_user
from store.engine import make_engine
from store.migrate import upgrade
from store.models import Alert, Reading, Sensor
from tests.brokers import mqtt_sources_file
from tests.fault_traffic import DutyOfficer, Phase, Publisher, Reader, StreamListener
from tests.private_services import PrivateMosquitto, PrivatePostgres, PrivateRedis
from tests.servers import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.integration

BIN = ROOT / ".venv" / "bin"
TOPIC = "fault/sensors"
STATIONS = 4
ALERTS = 400
OUTAGE_S = 5
RECOVER_S = 30
PASSWORD = "fault-" + uuid.uuid4().hex[:12]
SENSOR_IDS = [f"urn:dev:fault-aq-{n}" for n in range(1, STATIONS + 1)]
READ_PATHS = ["/healthz", "/readyz", "/api/v1/kpis", "/api/v1/alerts?limit=5"]


@dataclass
class Site:
    base: str
    engine: Engine
    postgres: PrivatePostgres
    redis: PrivateRedis
    broker: PrivateMosquitto
    web: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    web_workers: set[int]
    phase: Phase
    publisher: Publisher
    reader: Reader
    duty: DutyOfficer
    listener: StreamListener
    logs: Path


def air_stations() -> list[dict]:
    """STATIONS air-quality stations of the test's own, thresholds as the demo park's."""
    kind = next(k for k in SENSOR_KINDS if k.kind == "air_quality")
    thresholds = {
        q.name: {"unit": q.unit, "warning": q.warning, "critical": q.critical, "standard": q.standard}
        for q in kind.quantities
    }
    return [
        {"id": sensor_id, "kind": kind.kind, "name": f"fault station {n}", "lon": 116.3 + n / 100, "lat": 39.9,
         "department": kind.department, "thresholds": thresholds}
        for n, sensor_id in enumerate(SENSOR_IDS)
    ]  # fmt: skip


def sources_file(folder: Path, broker: PrivateMosquitto) -> Path:
    """The store, and the sensors over the private broker with a fixed client id (a persistent
    session across the restarts) that reconnects within seconds."""
    return mqtt_sources_file(
        folder, TOPIC, port=broker.port, client_id=f"onescreen-fault-{broker.port}", reconnect_min_delay_s=1,
        reconnect_max_delay_s=2, connect_timeout_s=2, session_expiry_s=3600,
    )  # fmt: skip


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def children(pid: int) -> set[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in found.read_text().split()} if found.exists() else set()


def wait_until(what: Callable[[], bool], timeout_s: float, every_s: float = 0.25) -> float:
    """Seconds until `what()` held; fails after `timeout_s`."""
    began = time.monotonic()
    while not what():
        assert time.monotonic() - began < timeout_s, f"not within {timeout_s} s"
        time.sleep(every_s)
    return time.monotonic() - began


def ask_ready(base: str) -> dict | None:
    """/readyz's body with its HTTP status as `http`; None when no answer came."""
    try:
        got = requests.get(f"{base}/readyz", timeout=5)
        return {**got.json(), "http": got.status_code}
    except (requests.RequestException, ValueError):
        return None


def feed_state(body: dict | None) -> str | None:
    sources = (body or {}).get("sources")
    if not isinstance(sources, list):
        return None
    return next((s.get("feed", {}).get("state") for s in sources if s["source"] == "park-sensors"), None)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("faults")
    (folder / "mqtt").mkdir()
    postgres, redis_server, broker = PrivatePostgres(), PrivateRedis(), PrivateMosquitto(folder / "mqtt")
    started: list[subprocess.Popen[bytes]] = []
    engine = listener = None
    try:
        for service in (postgres, redis_server, broker):
            service.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
        env.update(
            ONESCREEN_PROFILE="production",
            ONESCREEN_DATA_DIR=str(folder / "data"),
            ONESCREEN_DATABASE_URL=postgres.url,
            ONESCREEN_REDIS_URL=redis_server.url,
            ONESCREEN_SECRET_KEY=uuid.uuid4().hex * 2,
            ONESCREEN_SOURCES_FILE=str(sources_file(folder, broker)),
            WEB_CONCURRENCY="1",
        )
        engine = make_engine(postgres.url)
        upgrade(engine)  # what `flask --app app store init` does first, without a process start
        stations = air_stations()
        with engine.begin() as connection:
            connection.execute(insert(Sensor), stations)
        alert_ids = [f"FAULT-{n:04d}" for n in range(ALERTS)]
        for alert_id in alert_ids:
            write_alert(engine, alert_id, None)
        leader, _ = tokens.issue(engine, "fault reader", "leader", actor="test")
        duty, _ = tokens.issue(engine, "fault duty officer", "duty_officer", actor="test")
        create_user(engine, "fault-duty", ["duty_officer"], password=PASSWORD, actor="test")
        port = free_port()
        web = start([str(BIN / "gunicorn"), "--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                     "app:create_app()"], env, folder / "web.log")  # fmt: skip
        started.append(web)
        worker = start(
            [str(BIN / "flask"), "--app", "app", "worker", "--tick-s", "2"], env, folder / "worker.log"
        )
        started.append(worker)
        base = f"http://127.0.0.1:{port}"
        wait_for_port(port, web, timeout_s=120)
        wait_until(lambda: feed_state(ask_ready(base)) == "ok", timeout_s=60)
        phase = Phase()
        sensors = pd.DataFrame([{k: s[k] for k in ("id", "kind", "thresholds")} for s in stations])
        publisher = Publisher(phase, broker.port, TOPIC, sensors, datetime.now(UTC) - timedelta(days=6))
        reader = Reader(phase, base, leader, READ_PATHS)
        officer = DutyOfficer(phase, base, duty, alert_ids)
        listener = StreamListener(phase, base, "fault-duty", PASSWORD)
        threads = (publisher, reader, officer, listener)
        for thread in threads:
            thread.start()
        phase.name = "steady"
        yield Site(base, engine, postgres, redis_server, broker, web, worker, children(web.pid), phase, publisher,
                   reader, officer, listener, folder)  # fmt: skip
        for thread in threads:
            thread.stopping.set()
        for thread in threads[:-1]:
            thread.stop()
        publisher.close()
    finally:
        for process, sig in zip(reversed(started), (signal.SIGINT, signal.SIGTERM), strict=False):
            stop(process, sig)  # the worker (SIGINT: it hands its lease back), then gunicorn
        if listener is not None:
            listener.stop()  # its stream ended with gunicorn
        if engine is not None:
            engine.dispose()
        postgres.close()
        redis_server.stop()
        broker.stop()


def outage(site: Site, name: str, service: PrivatePostgres | PrivateRedis | PrivateMosquitto) -> list[dict]:
    """Stop `service`, keep it down OUTAGE_S while asking /readyz every half second, start it
    again on its port; /readyz's answers meanwhile (each cached by the app for 1 s)."""
    site.phase.name = f"{name} down"
    service.stop()
    down_until = time.monotonic() + OUTAGE_S
    bodies = []
    while time.monotonic() < down_until - 0.5:
        body = ask_ready(site.base)
        if body is not None:
            bodies.append(body)
        time.sleep(0.5)
    time.sleep(max(0.0, down_until - time.monotonic()))
    service.start()
    site.phase.name = f"{name} back"
    return bodies


def report_statuses(site: Site, phase: str) -> Counter[str]:
    counted = site.reader.statuses(phase)
    for what, n in sorted(counted.items()):
        print(f"{phase} {what}: {n} requests")
    return counted


def server_errors(counted: Counter[str]) -> dict[str, int]:
    """The counts (keyed "… <status>") that are no answer at all or a 5xx other than 503."""
    return {
        what: n
        for what, n in counted.items()
        if not what.split()[-1].isdigit() or (what.split()[-1] >= "500" and not what.endswith(" 503"))
    }


def still_the_same_app(site: Site) -> None:
    assert site.web.poll() is None and site.worker.poll() is None, (
        f"the app or its worker exited: {site.logs}"
    )
    assert children(site.web.pid) == site.web_workers, f"gunicorn restarted a worker: {site.logs}/web.log"


def stored_readings(site: Site) -> int:
    keys = tuple_(Reading.sensor_id, Reading.quantity, Reading.at)
    with site.engine.connect() as connection:
        return connection.execute(
            select(func.count(distinct(keys))).where(Reading.sensor_id.in_(SENSOR_IDS))
        ).scalar_one()


def bus_listeners(site: Site) -> int:
    """Pattern subscriptions on the private Redis: each process's live bus holds one."""
    with redis.Redis.from_url(site.redis.url) as client:
        return int(client.pubsub_numpat())


def stored_keys(site: Site) -> set[tuple[str, str, datetime]]:
    with site.engine.connect() as connection:
        rows = connection.execute(
            select(Reading.sensor_id, Reading.quantity, Reading.at).where(Reading.sensor_id.in_(SENSOR_IDS))
        ).all()
    return {tuple(row) for row in rows}  # type: ignore[misc]


def told_up_again(listener: StreamListener) -> bool:
    """The live stream said the bus is up after it last said it is down."""
    states = [state for _, state in listener.bus_states]
    return "down" in states and "up" in states[len(states) - states[::-1].index("down") :]


def test_redis_restart(site):
    wait_until(lambda: bus_listeners(site) >= 1, RECOVER_S)  # the stream's process listens
    listening = bus_listeners(site)
    bodies = outage(site, "redis", site.redis)
    took = wait_until(lambda: (ask_ready(site.base) or {}).get("http") == 200, RECOVER_S)
    print(f"redis ready again after: {took:.1f} s")
    took = wait_until(lambda: bus_listeners(site) >= listening, RECOVER_S)
    print(f"redis bus listeners back after: {took:.1f} s")
    took = wait_until(lambda: told_up_again(site.listener), RECOVER_S)
    print(f"redis live stream told the bus is up after: {took:.1f} s")
    counted = report_statuses(site, "redis down")
    assert ("redis down", "down") in site.listener.bus_states, site.listener.bus_states
    said = [(b["http"], b["dependencies"]["redis"]["state"]) for b in bodies]
    assert (503, "down") in said and set(said) <= {(503, "down"), (200, "ok")}, said
    assert not server_errors(counted), counted
    assert set(k for k in counted if k.startswith("/healthz")) == {"/healthz 200"}, counted
    still_the_same_app(site)


def test_postgres_restart(site):
    site.phase.name = "steady"
    time.sleep(2)
    acknowledged = len(site.duty.acknowledged)
    bodies = outage(site, "postgres", site.postgres)
    took = wait_until(lambda: (ask_ready(site.base) or {}).get("http") == 200, RECOVER_S)
    print(f"postgres ready again after: {took:.1f} s")
    took = wait_until(lambda: len(site.duty.acknowledged) > acknowledged + 1, RECOVER_S)
    print(f"postgres duty officer's steps answered again after: {took:.1f} s")
    counted = report_statuses(site, "postgres down")
    said = [(b["http"], b["dependencies"]["store"]["state"], b["sources"]) for b in bodies]
    # the sources' states are read from the store: while it is down /readyz says they are unknown
    down = (503, "down", "unknown: the store does not answer")
    assert down in said and all(s == down or s[:2] == (200, "ok") for s in said), said
    assert not server_errors(counted), counted
    assert set(k for k in counted if k.startswith("/healthz")) == {"/healthz 200"}
    still_the_same_app(site)


def test_mqtt_broker_restart(site):
    site.phase.name = "steady"
    time.sleep(2)
    bodies = outage(site, "mqtt", site.broker)
    states = [feed_state(body) for body in bodies]
    sent_at_restart = len(site.publisher.sent)
    took = wait_until(lambda: stored_readings(site) >= sent_at_restart, RECOVER_S)
    print(f"mqtt readings sent before the restart stored after: {took:.1f} s")
    took = wait_until(lambda: feed_state(ask_ready(site.base)) == "ok", RECOVER_S)
    print(f"mqtt feed ok again after: {took:.1f} s")
    counted = report_statuses(site, "mqtt down")
    print(f"mqtt feed states while down: {dict(Counter(states))}")
    assert not server_errors(counted), counted
    assert any(state not in (None, "ok") for state in states), states
    still_the_same_app(site)


def test_every_acknowledged_step_and_every_sent_reading_is_stored(site):
    site.phase.name = "steady"
    time.sleep(2)
    site.publisher.stopping.set()
    site.duty.stopping.set()
    site.publisher.join(10)
    site.duty.join(15)
    wait_until(lambda: site.publisher.unacknowledged() == 0, RECOVER_S)
    sent = site.publisher.sent
    try:
        took = wait_until(lambda: stored_readings(site) >= len(sent), RECOVER_S)
    except AssertionError:
        missing = sorted(sent - stored_keys(site))
        print(f"readings missing: {len(missing)} readings, e.g. {missing[:5]}")
        print(
            f"readings missing by the phase they were sent in: {Counter(site.publisher.sent_in[k] for k in missing)}"
        )
        raise
    stored = stored_readings(site)
    acknowledged = site.duty.acknowledged
    with site.engine.connect() as connection:
        states = dict(
            connection.execute(select(Alert.id, Alert.state).where(Alert.id.in_(acknowledged))).all()
        )
    print(f"readings sent: {len(sent)} readings")
    print(f"readings stored: {stored} readings")
    print(f"readings refused by the publisher's client: {sum(site.publisher.refused.values())} readings")
    print(f"last readings stored after: {took:.1f} s")
    print(
        f"readings sent while the broker was down: {sum(p == 'mqtt down' for p in site.publisher.sent_in.values())} readings"
    )
    print(f"steps acknowledged 2xx: {len(acknowledged)} steps")
    print(f"acknowledged steps in the store: {sum(s == 'acknowledged' for s in states.values())} steps")
    for what, n in sorted(site.duty.statuses.items()):
        print(f"duty officer {what}: {n} steps")
    answers = Counter(f"{a.path} {a.status}" for a in site.reader.answers)
    for what, n in sorted(answers.items()):
        print(f"reader {what}: {n} requests")
    assert stored == len(sent)
    assert "mqtt down" in site.publisher.sent_in.values()  # QoS 1 across the restart was tried
    # the app answered every request of the run, with 503 at worst, and never 500
    assert not server_errors(answers), answers
    assert not server_errors(site.duty.statuses), site.duty.statuses
    assert {a: states.get(a) for a in acknowledged} == dict.fromkeys(acknowledged, "acknowledged")
    assert len(set(acknowledged)) == len(acknowledged)
    still_the_same_app(site)
