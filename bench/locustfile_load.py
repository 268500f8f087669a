"""Locust users for bench/load.py (run by it as `locust --headless -f bench/locustfile_load.py`):
wall screens replaying their recorded refresh callbacks, department heads drilling through the KPI
API, duty officers acknowledging alerts and taking case steps, and browsers holding the live alert
stream open. Configured by the JSON file named in LOAD_BENCH_CONFIG (tokens, the recorded
payloads, the measured duration, where to write results); bench/load_mix.py holds the mix.

The measurement window opens when every user has spawned and every wall has loaded its page (at
most LOAD_SETTLE_MAX_S later) and lasts `duration_s`; then the run quits itself. Latencies are
kept for that window only; errors are counted over the whole run."""

from __future__ import annotations

import json
import os
import random
import re
import resource
import time
from collections import defaultdict
from pathlib import Path

import gevent
import requests
from locust import FastHttpUser, User, between, constant_pacing, events, task

from bench.load_mix import (
    CALLBACK_PATH,
    KPI_RANGES,
    REFRESH_S,
    WEIGHTS,
    advance,
    due,
    fetches_due,
    load_captures,
    output_name,
)

CONFIG = json.loads(Path(os.environ["LOAD_BENCH_CONFIG"]).read_text(encoding="utf-8"))
WALLS = load_captures(Path(CONFIG["payloads"]))
TOKENS = CONFIG["tokens"]  # wall_<role>, department_head, duty_officer, listener_user/_password
LOAD_SETTLE_MAX_S = 60.0
# a duty officer's next step on a case by its status, those needing no one else's input (the
# production park has no live simulator: the seeded open cases are what there is to move on)
CASE_STEPS = {"reported": "accept", "accepted": "dispatch", "handled": "verify"}
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Tally:
    """What the run saw: latencies by request name in the window, errors and SSE events always."""

    def __init__(self) -> None:
        self.window_open = False
        self.window_start = self.window_end = 0.0
        self.latency_ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.conflicts = 0
        self.closed = 0
        self.loading = 0  # walls loading their page (on_start)
        self.requests = 0  # every request of the run, ramp-up too (the server's CPU covers it all)
        self.sse_events = 0
        self.sse_connected = 0

    def as_dict(self, environment) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "window_s": (self.window_end or time.monotonic()) - self.window_start if self.window_start else 0,
            "latency_ms": self.latency_ms,
            "errors": self.errors,
            "conflicts": self.conflicts,
            "closed": self.closed,
            "requests": self.requests,
            "sse_events": self.sse_events,
            "sse_connected": self.sse_connected,
            "users": dict(environment.runner.user_classes_count) if environment.runner else {},
            "locust_cpu_s": usage.ru_utime + usage.ru_stime,
            "locust_peak_rss_mb": usage.ru_maxrss / 1024,
        }


TALLY = Tally()


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, exception, response=None, **_kw):
    status = getattr(response, "status_code", None) if response is not None else None
    TALLY.requests += request_type != "SSE"
    if exception is not None and status == 409:
        TALLY.conflicts += 1  # two officers stepping one alert or case: the app refusing correctly
    elif type(exception).__name__ == "HTTPConnectionClosed":
        # gunicorn ends a keep-alive connection idle for 5 s; a wall idles up to its 5 s pacing,
        # and a request sent as it closes fails here, where a browser sends it again
        TALLY.closed += 1
    elif exception is not None or (status is not None and not 200 <= status < 400):
        TALLY.errors[f"{name} {status or type(exception).__name__}"] += 1
    elif TALLY.window_open and request_type != "SSE":  # a stream's connect time is no request's latency
        TALLY.latency_ms[name].append(response_time)


@events.spawning_complete.add_listener
def _on_spawned(user_count, **_kw):
    if TALLY.window_start:
        return
    TALLY.window_start = time.monotonic()  # a mark that the window is on its way

    def close_window():
        # the walls spawned last are still loading their pages: the window opens once they drew
        while TALLY.loading and time.monotonic() - TALLY.window_start < LOAD_SETTLE_MAX_S:
            gevent.sleep(0.1)
        TALLY.window_open, TALLY.window_start = True, time.monotonic()
        gevent.sleep(CONFIG["duration_s"])
        TALLY.window_open, TALLY.window_end = False, time.monotonic()
        Path(CONFIG["results"]).write_text(json.dumps(TALLY.as_dict(_ENV[0])), encoding="utf-8")
        _ENV[0].runner.quit()

    gevent.spawn(close_window)


_ENV: list = []


@events.init.add_listener
def _on_init(environment, **_kw):
    _ENV.append(environment)


class WallViewer(FastHttpUser):
    """A wall screen: loads its layout once, then every REFRESH_S sends one refresh cycle
    (load_mix.due: the config's `cycle`, full or paced)."""

    weight = WEIGHTS["WallViewer"]
    wait_time = constant_pacing(REFRESH_S)

    def on_start(self) -> None:
        TALLY.loading += 1
        try:
            self._load_page()
        finally:
            TALLY.loading -= 1

    def _load_page(self) -> None:
        self.wall = random.choice(WALLS)
        self.ticks = 0
        self.cookie = {"Cookie": f"onescreen_wall={TOKENS['wall_' + self.wall.role]}"}
        with self.client.get(self.wall.page, headers=self.cookie, name="wall page", allow_redirects=False,
                             catch_response=True) as answer:  # fmt: skip
            if answer.status_code != 200:  # a refused wall token is redirected to /wall-signin
                answer.failure(f"wall page answered {answer.status_code}")
        for path in ("/_dash-layout", "/_dash-dependencies"):
            self.client.get(path, headers=self.cookie, name=path)
        for body in self.wall.initial:
            self._callback(body, "initial ")

    def _callback(self, body: dict, kind: str) -> None:
        self.client.post(
            CALLBACK_PATH, json=body, headers=self.cookie, name=f"callback {kind}{output_name(body)}"
        )

    @task
    def refresh(self) -> None:
        self.ticks += 1
        bodies = due(self.wall, self.ticks, CONFIG.get("cycle", "full"))
        for body in bodies:
            self._callback(advance(body, self.ticks), "")
        for path in fetches_due(self.wall, bodies):
            self.client.get(path, headers=self.cookie, name=f"fetch {path.split('?')[0][:60]}")


class DeptHead(FastHttpUser):
    """A department head drilling down: the KPI list, a KPI's series over a range, one level down."""

    weight = WEIGHTS["DeptHead"]
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {TOKENS['department_head']}"}
        answer = self.client.get("/api/v1/kpis?lang=en", headers=self.auth, name="api kpis")
        self.kpis = [k["id"] for k in answer.json()["kpis"]] if answer.status_code == 200 else []

    @task(1)
    def catalogue(self) -> None:
        self.client.get("/api/v1/kpis", headers=self.auth, name="api kpis")

    @task(3)
    def drill(self) -> None:
        if not self.kpis:
            return
        kpi, when = random.choice(self.kpis), random.choice(KPI_RANGES)
        answer = self.client.get(f"/api/v1/kpis/{kpi}?range={when}", headers=self.auth, name="api kpi series")
        if answer.status_code != 200:
            return
        found = answer.json()
        if found.get("by") and found.get("breakdown"):
            key = random.choice(found["breakdown"])["key"]
            self.client.get(f"/api/v1/kpis/{kpi}", params={"range": when, found["by"]: key},
                            headers=self.auth, name="api kpi drill-down")  # fmt: skip


class DutyOfficer(FastHttpUser):
    """A duty officer: lists the open alerts and acknowledges one; moves an open case on a step."""

    weight = WEIGHTS["DutyOfficer"]
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {TOKENS['duty_officer']}"}

    @task(2)
    def acknowledge(self) -> None:
        answer = self.client.get("/api/v1/alerts?state=raised,acknowledged,assigned,escalated&limit=50",
                                 headers=self.auth, name="api alerts open")  # fmt: skip
        raised = (
            [a for a in answer.json()["items"] if a["state"] == "raised"] if answer.status_code == 200 else []
        )
        if raised:
            alert = random.choice(raised)
            self.client.post(f"/api/v1/alerts/{alert['id']}/transitions", headers=self.auth,
                             json={"action": "acknowledge", "version": alert["version"]},
                             name="api alert acknowledge")  # fmt: skip

    @task(1)
    def case_step(self) -> None:
        status = random.choice(list(CASE_STEPS))
        answer = self.client.get(
            f"/api/v1/cases?status={status}&limit=50", headers=self.auth, name="api cases open"
        )
        items = answer.json()["items"] if answer.status_code == 200 else []
        if not items:
            return
        case = random.choice(items)
        timeline = self.client.get(
            f"/api/v1/cases/{case['id']}/timeline", headers=self.auth, name="api case timeline"
        )
        if timeline.status_code != 200:
            return
        found = timeline.json()
        action = CASE_STEPS[status]
        if action not in found["actions"]:  # another officer moved it meanwhile
            return
        step = {"action": action, "version": found["version"]}
        if action == "dispatch":
            step["department"] = case.get("department") or "urban_management"
        self.client.post(f"/api/v1/cases/{case['id']}/transitions", headers=self.auth, json=step,
                         name=f"api case {action}")  # fmt: skip


class LiveListener(User):
    """A browser holding /live/alerts open for the run, counting the alert events it receives.
    The stream takes a signed-in session (no API token), so it signs in as a duty officer first.
    requests under gevent's monkey-patching reads the stream without holding up other users."""

    weight = WEIGHTS["LiveListener"]
    wait_time = between(1, 2)

    def on_start(self) -> None:
        self.session = requests.Session()
        started = time.perf_counter()
        try:
            form = self.session.get(f"{self.host}/login", timeout=30)
            csrf = CSRF_FIELD.search(form.text)
            answer = self.session.post(f"{self.host}/login", allow_redirects=False, timeout=30, data={
                "csrf": csrf.group(1) if csrf else "", "username": TOKENS["listener_user"],
                "password": TOKENS["listener_password"]})  # fmt: skip
            refused = (
                None if answer.status_code == 302 else RuntimeError(f"sign-in refused ({answer.status_code})")
            )
            self._fire("live sign-in", answer.status_code, started, refused)
        except requests.RequestException as exc:
            self._fire("live sign-in", None, started, exc)

    @task
    def listen(self) -> None:
        started = time.perf_counter()
        try:
            with self.session.get(f"{self.host}/live/alerts", stream=True, timeout=30,
                                  headers={"Accept": "text/event-stream"}) as answer:  # fmt: skip
                self._fire("live alerts connect", answer.status_code, started, None)
                if answer.status_code != 200:
                    return
                TALLY.sse_connected += 1
                for line in answer.iter_lines(decode_unicode=True):
                    if line == "event: alert":
                        TALLY.sse_events += 1
        except requests.RequestException as exc:
            self._fire("live alerts connect", None, started, exc)

    def _fire(self, name: str, status: int | None, started: float, exc: Exception | None) -> None:
        response = type("Answer", (), {"status_code": status})()
        self.environment.events.request.fire(
            request_type="SSE", name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=0, exception=exc, response=response, context={},
        )  # fmt: skip
