"""Alert latency (issue 9's bench/alert_latency.py): from publishing a SenML reading that crosses
a threshold on the real Mosquitto until the alert is in the DOM of a page open in headless
Chromium, for --alerts alerts one after another; in the same run the broker's own publish →
receive round trip, and the ratio.

The production path, each part its own process: the app (app.py, a small demo park on SQLite in
a temp folder, ONESCREEN_DEMO_LIVE=false) configured with an mqtt source on 127.0.0.1:1883 and
a topic of this run's own; the feed worker (`flask --app app worker`); Redis (127.0.0.1:6379)
as the live bus between them, as in production (with the in-process bus a worker in another
process is only heard at the feed's backstop read). Chromium is signed in as the duty officer.

Each alert is a gas detector's ch4 reading at 80 %LEL (its critical level is 50): a detector
has at most one open alert per rule, so each alert is a fresh detector, added to the park
beside the demo's (`bench-gs-NNNN`, the thresholds of the demo's gs-001) before the app starts.

Where the alert is looked for (--via): `page`, the Alerts page's row (`[data-alert=ID]`,
pages/alerts.py); `store`, the shell's dcc.Store "live-alerts" that assets/45-live.js fills
(read through Dash's layout by a probe polling every animation frame); `auto` takes the page
when /alerts shows the alert rows, else the store. The probe notes when each id first appears
(the browser's clock, the same host's as this script's).

usage: python bench/bench_alert_latency.py [--alerts 200] [--round-trips 200] [--via auto]
prints one figure a line as `name: value unit`."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import create_engine, insert, select  # noqa: E402

from store.models import Alert, Reading, Sensor  # noqa: E402
from tests.brokers import mqtt_sources_file  # noqa: E402
from tests.servers import free_port, wait_for_port  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
REDIS_URL = "redis://127.0.0.1:6379/0"
TEMPLATE = "urn:dev:gs-001"  # the demo's gas detector whose row the bench detectors copy
CH4 = 80.0  # %LEL, over the critical level of 50
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
DUTY_OFFICER = "duty"  # tests/signin.py's demo user with the duty officer's role

# Notes (the browser's Date.now()) when each alert id first shows: in the Alerts page's rows, or
# in the live-alerts store's data as Dash holds it.
PROBE = """(via) => {
  window.__seen = {};
  const note = (id) => { if (!(id in window.__seen)) window.__seen[id] = Date.now(); };
  if (via === "page") {
    const look = () => document.querySelectorAll("[data-alert]").forEach((el) => note(el.dataset.alert));
    new MutationObserver(look).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                       attributeFilter: ["data-alert"]});
    look();
  } else {
    const look = () => {
      let data = null;
      try { data = window.dash_component_api.getLayout("live-alerts").props.data; } catch (e) {}
      ((data && data.items) || []).forEach((m) => { if (m.alert) note(String(m.alert.id)); });
      requestAnimationFrame(look);
    };
    look();
  }
}"""


BEGAN = time.monotonic()


def phase(what: str) -> None:
    """Where the run is, on stderr (stdout holds only the figures)."""
    print(f"[{time.monotonic() - BEGAN:5.1f} s] {what}", file=sys.stderr, flush=True)


# Installed before the page's scripts: notes when the live stream's message for each alert id
# reaches the browser (the EventSource of assets/45-live.js), to tell the server's share of the
# latency (broker, worker, engine, bus, stream) from the page's (45-live.js's batching, Dash).
STREAM_PROBE = """(() => {
  window.__streamed = {};
  const Native = window.EventSource;
  if (!Native) return;
  function Probed(url, options) {
    const source = new Native(url, options);
    source.addEventListener("alert", (event) => {
      try {
        const m = JSON.parse(event.data);
        const id = m && m.alert && String(m.alert.id);
        if (id && !(id in window.__streamed)) window.__streamed[id] = Date.now();
      } catch (e) {}
    });
    return source;
  }
  Probed.prototype = Native.prototype;
  Object.assign(Probed, {CONNECTING: 0, OPEN: 1, CLOSED: 2});
  window.EventSource = Probed;
})();"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seed(folder: Path, sources: Path, detectors: int) -> str:
    """The small demo park in `folder` with `detectors` bench gas detectors; its store URL."""
    from app import build_dash
    from config.settings import load_settings

    saved = {k: os.environ.pop(k) for k in [k for k in os.environ if k.startswith("ONESCREEN_")]}
    try:
        settings = load_settings(data_dir=folder, demo_cases=300, sources_file=sources, demo_live=False)
        build_dash(settings, seed=True)
    finally:
        os.environ.update(saved)
    engine = create_engine(settings.store_url)
    try:
        with engine.begin() as connection:
            row = dict(connection.execute(select(Sensor).where(Sensor.id == TEMPLATE)).mappings().one())
            row.pop("pk")
            connection.execute(
                insert(Sensor),
                [row | {"id": f"urn:dev:bench-gs-{i:04d}", "name": f"bench {i}"} for i in range(detectors)],
            )
    finally:
        engine.dispose()
    return settings.store_url


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "w")  # noqa: SIM115 - the process holds it; closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def session_cookie(base: str, username: str) -> str:
    with requests.Session() as session:
        csrf = CSRF_FIELD.search(session.get(f"{base}/login", timeout=60).text).group(1)
        answer = session.post(
            f"{base}/login/demo", data={"csrf": csrf, "username": username}, allow_redirects=False, timeout=60
        )
        assert answer.status_code == 302, f"sign-in refused ({answer.status_code})"
        return session.cookies["onescreen_session"]


def publisher(name: str) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:12]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    return client


def pack(sensor: str, value: float) -> bytes:
    at = datetime.now(UTC).timestamp()
    return json.dumps([{"bn": f"{sensor}:", "bt": at, "n": "ch4", "u": "%LEL", "v": value}]).encode()


def wait_listening(store_url: str, topic: str, sensor: str, timeout_s: float = 90) -> None:
    """Until the worker stored a reading of `sensor` published on `topic`: it listens, and its
    catalogue knows the bench detectors. Published again every second, since a message sent
    before the worker's first subscription is not kept for it."""
    engine = create_engine(store_url)
    client = publisher("bench-warm")
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            client.publish(topic, pack(sensor, 1.0), qos=1)
            time.sleep(1)
            with engine.connect() as c:
                if c.execute(select(Reading.pk).where(Reading.sensor_id == sensor).limit(1)).first():
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the worker stored no reading of {sensor} in {timeout_s} s")
    finally:
        client.disconnect()
        client.loop_stop()
        engine.dispose()


def mqtt_round_trips(topic: str, count: int) -> list[float]:
    """`count` QoS 1 publish → receive round trips through the broker, one at a time, in ms."""
    arrived = threading.Event()
    receiver = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-rx-{uuid.uuid4().hex[:12]}")
    receiver.on_message = lambda *_: arrived.set()
    subscribed = threading.Event()
    receiver.on_subscribe = lambda *_: subscribed.set()
    receiver.connect("127.0.0.1", 1883)
    receiver.loop_start()
    receiver.subscribe(topic, qos=1)
    subscribed.wait(10)
    sender = publisher("bench-tx")
    times = []
    try:
        for _ in range(count):
            arrived.clear()
            began = time.perf_counter()
            sender.publish(topic, pack("urn:dev:rtt", CH4), qos=1)
            if not arrived.wait(10):
                raise TimeoutError("a round-trip message did not come back in 10 s")
            times.append(1000 * (time.perf_counter() - began))
    finally:
        for client in (sender, receiver):
            client.disconnect()
            client.loop_stop()
    return times


SEEN = "() => Object.keys(window.__seen).length"


def wait_seen(page, count: int, timeout_s: float = 30) -> None:
    """Until the probe has seen `count` alerts. Polled from here (the page's CSP forbids the
    evaluated strings of wait_for_function); the times are the probe's, not this loop's."""
    deadline = time.monotonic() + timeout_s
    while page.evaluate(SEEN) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page showed {page.evaluate(SEEN)} alerts of {count} in {timeout_s} s")
        time.sleep(0.01)


def alert_latencies(
    base: str, store_url: str, topic: str, alerts: int, via: str
) -> tuple[list[tuple[float, float]], str]:
    """Publish `alerts` crossing readings one at a time, each waiting for its alert in the page;
    for each, ms until it was in the DOM and until its stream message reached the browser, and
    where the DOM was watched."""
    from playwright.sync_api import sync_playwright

    cookie = session_cookie(base, DUTY_OFFICER)
    sent: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            context.add_cookies([{"name": "onescreen_session", "value": cookie, "url": base}])
            context.add_init_script(STREAM_PROBE)
            page = context.new_page()
            if via in ("auto", "page"):
                page.goto(f"{base}/alerts?lang=en", wait_until="networkidle", timeout=120_000)
                has_list = page.locator("#alerts-list").count() > 0  # the Alerts page is there
                if via == "page" and not has_list:
                    raise RuntimeError("--via page: /alerts shows no alert list (pages/alerts.py)")
                via = "page" if has_list else "store"
            if via == "store":
                page.goto(f"{base}/?lang=en", wait_until="networkidle", timeout=120_000)
            page.wait_for_selector("#live-status.os-live-live", timeout=60_000)
            page.evaluate(PROBE, via)
            before = page.evaluate(SEEN)  # the alerts the page showed already
            phase(f"the page is live; publishing {alerts} alerts")
            client = publisher("bench-alerts")
            try:
                for i in range(alerts):
                    sensor = f"urn:dev:bench-gs-{i:04d}"
                    sent[sensor] = time.time() * 1000
                    client.publish(f"{topic}/bench", pack(sensor, CH4), qos=1)
                    wait_seen(page, before + i + 1)
            finally:
                client.disconnect()
                client.loop_stop()
            seen: dict[str, float] = page.evaluate("window.__seen")
            streamed: dict[str, float] = page.evaluate("window.__streamed")
        finally:
            browser.close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as c:
            sensor_of = dict(
                c.execute(select(Alert.id, Alert.sensor_id).where(Alert.sensor_id.in_(list(sent)))).all()
            )
    finally:
        engine.dispose()
    return [
        (seen[str(a)] - sent[s], streamed.get(str(a), seen[str(a)]) - sent[s])
        for a, s in sensor_of.items()
        if str(a) in seen
    ], via


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--round-trips", type=int, default=200)
    parser.add_argument("--via", choices=("auto", "page", "store"), default="auto")
    args = parser.parse_args()
    base_topic = f"onescreen-bench/{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as temp, ExitStack() as stack:
        folder = Path(temp)
        sources = mqtt_sources_file(folder, f"{base_topic}/sensors")
        store_url = seed(folder, sources, args.alerts + 1)
        phase("demo park seeded; starting the app and the worker")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
        env.update(
            ONESCREEN_DATA_DIR=str(folder),
            ONESCREEN_PORT=str(port),
            ONESCREEN_DEMO_CASES="300",
            ONESCREEN_DEMO_LIVE="false",
            ONESCREEN_SOURCES_FILE=str(sources),
            ONESCREEN_REDIS_URL=REDIS_URL,
        )
        app = start([sys.executable, "app.py"], env, folder / "app.log")
        stack.callback(stop, app)
        worker = start([sys.executable, "-m", "flask", "--app", "app", "worker"], env, folder / "worker.log")
        stack.callback(stop, worker)
        try:
            wait_for_port(port, app)
            last = f"urn:dev:bench-gs-{args.alerts:04d}"  # the spare detector: it raises nothing
            wait_listening(store_url, f"{base_topic}/sensors/warm", last)
            phase("the worker stores readings; opening the page")
            measured, via = alert_latencies(
                f"http://127.0.0.1:{port}", store_url, f"{base_topic}/sensors", args.alerts, args.via
            )
        except Exception:
            for log in ("app.log", "worker.log"):
                print(f"--- {log}\n" + (folder / log).read_text()[-3000:], file=sys.stderr)
            raise
        phase("alerts done; MQTT round trips")
        trips = mqtt_round_trips(f"{base_topic}/rtt", args.round_trips)
    latencies = [dom for dom, _ in measured]
    streamed = [stream for _, stream in measured]
    in_page = [dom - stream for dom, stream in measured]
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    rtt50, rtt95 = statistics.median(trips), percentile(trips, 0.95)
    print(f"alerts: {len(latencies)} alerts")
    print(f"alert_seen_in_{via}: 1 flag")
    print(f"alert_latency_p50: {p50:.1f} ms")
    print(f"alert_latency_p95: {p95:.1f} ms")
    print(f"alert_latency_max: {max(latencies):.1f} ms")
    print(f"alert_stream_in_browser_p50: {statistics.median(streamed):.1f} ms")
    print(f"alert_stream_in_browser_p95: {percentile(streamed, 0.95):.1f} ms")
    print(f"alert_stream_to_dom_p50: {statistics.median(in_page):.1f} ms")
    print(f"alert_stream_to_dom_p95: {percentile(in_page, 0.95):.1f} ms")
    print(f"mqtt_round_trip_p50: {rtt50:.2f} ms")
    print(f"mqtt_round_trip_p95: {rtt95:.2f} ms")
    print(f"alert_to_mqtt_ratio_p50: {p50 / rtt50:.0f} x")
    print(f"alert_to_mqtt_ratio_p95: {p95 / rtt95:.0f} x", flush=True)
    return 0 if len(latencies) == args.alerts else 1


if __name__ == "__main__":
    sys.exit(main())
