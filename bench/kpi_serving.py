"""The serving side of bench/bench_kpi.py: a real gunicorn server (config/gunicorn.conf.py) over
the bench's store, signed in the way a browser is, asked for every KPI; then each worker's peak
resident memory (VmHWM), and the delay from a duty officer's step to the figure that changes
(issue 11: within 5 s, not a cache timeout later)."""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import delete, insert, select

from store.models import Case, CaseEvent

ROOT = Path(__file__).resolve().parent.parent
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn serving the app over `data_dir` (and `database_url` when given)."""

    def __init__(self, data_dir: Path, database_url: str | None, cases: int, workers: int, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "ONESCREEN_DATA_DIR": str(data_dir), "ONESCREEN_DEMO_CASES": str(cases),
               "ONESCREEN_DEMO_LIVE": "false", "WEB_CONCURRENCY": str(workers)}  # fmt: skip
        if database_url:
            env["ONESCREEN_DATABASE_URL"] = database_url
        self.log = log.open("w")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}", "app:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait(self, timeout_s: float) -> float:
        """Seconds until /login answers; RuntimeError when the server died or did not answer."""
        began = time.perf_counter()
        while time.perf_counter() - began < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log.name}")
            try:
                if requests.get(f"{self.base}/login", timeout=5).status_code == 200:
                    return time.perf_counter() - began
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer in {timeout_s:.0f} s; see {self.log.name}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: gunicorn and its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def signed_in(base: str, username: str = "leader") -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=30).text
    csrf = CSRF_FIELD.search(form).group(1)  # type: ignore[union-attr]
    answer = session.post(f"{base}/login/demo", data={"csrf": csrf, "username": username},
                          allow_redirects=False, timeout=30)  # fmt: skip
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    return session


def read_everything(server: Server, spec_ids: list[str], label: str) -> None:
    """Signed in as the leader: the KPIs (API), the Overview and the KPI page, each worker
    asked (a request per worker is not guaranteed to land on it: asked several times); then
    every worker's VmHWM."""
    session = signed_in(server.base)
    statuses: dict[str, int] = {}
    for _ in range(3 * max(1, len(server.workers()))):
        for path in ("/api/v1/kpis", "/", "/kpis", *(f"/api/v1/kpis/{i}" for i in spec_ids)):
            statuses[path] = session.get(f"{server.base}{path}", timeout=300).status_code
    for path in ("/api/v1/kpis", "/", "/kpis"):
        print(
            f"{label}_serving_get_{path.strip('/').replace('/', '_') or 'overview'}_status: {statuses[path]} http"
        )
    per_kpi = [s for p, s in statuses.items() if p.startswith("/api/v1/kpis/")]
    print(f"{label}_serving_get_kpi_by_id_ok: {sum(s == 200 for s in per_kpi)} of {len(per_kpi)} kpis")
    peaks = [peak_rss_mib(pid) for pid in server.workers()]
    for n, peak in enumerate(peaks):
        print(f"{label}_serving_worker{n}_peak_rss: {peak:.0f} MiB")
    print(f"{label}_serving_peak_rss_max: {max(peaks):.0f} MiB", flush=True)


def _open_cases(session: requests.Session, base: str, headers: dict[str, str]) -> float | None:
    answer = session.get(f"{base}/api/v1/kpis", headers=headers, timeout=60)
    answer.raise_for_status()
    return next((k["value"] for k in answer.json()["kpis"] if k["id"] == "open_cases"), None)


def transition_delay(server: Server, engine, count: int, label: str, timeout_s: float = 60.0) -> None:
    """`count` verified cases of the bench's own, each closed by a duty officer (bearer token,
    POST /api/v1/cases/{id}/transitions); after each, GET /api/v1/kpis is polled until
    open_cases changes. The cases and their events are removed afterwards."""
    from security import tokens

    token = tokens.issue(engine, "bench-kpi", "duty_officer", actor="bench")[0]
    headers = {"Authorization": f"Bearer {token}"}
    run = datetime.now(UTC).strftime("%H%M%S")
    ids = [f"BKPI{run}-{n:03d}" for n in range(count)]
    at = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as c:
        template = dict(c.execute(select(Case.__table__).limit(1)).one()._mapping)
        for case_id in ids:
            row = {k: v for k, v in template.items() if k != "pk" and Case.__table__.c[k].computed is None}
            row.update(id=case_id, status="verified", channel="grid_patrol", version=1, repeat_of=None,
                       reported_at=at, accepted_at=at, dispatched_at=at, in_progress_at=at, handled_at=at,
                       verified_at=at, status_at=at, closed_at=None, satisfaction=None,
                       sla_deadline=at + timedelta(days=3))  # fmt: skip
            c.execute(insert(Case).values(**row))
            c.execute(insert(CaseEvent).values(case_id=case_id, action="reported", actor="bench", at=at))
    session = requests.Session()
    delays: list[float] = []
    missed = 0
    try:
        before = _open_cases(session, server.base, headers)
        for case_id in ids:
            answer = session.post(f"{server.base}/api/v1/cases/{case_id}/transitions", headers=headers,
                                  json={"action": "close", "version": 1}, timeout=60)  # fmt: skip
            stepped = time.perf_counter()
            if answer.status_code != 200:
                raise RuntimeError(f"close {case_id}: {answer.status_code} {answer.text[:200]}")
            while True:
                now_value = _open_cases(session, server.base, headers)
                waited = time.perf_counter() - stepped
                if now_value != before:
                    delays.append(waited * 1000)
                    before = now_value
                    break
                if waited > timeout_s:
                    missed += 1
                    break
                time.sleep(0.02)
    finally:
        with engine.begin() as c:
            c.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
            c.execute(delete(Case).where(Case.id.in_(ids)))
    if delays:
        ordered = sorted(delays)
        print(f"{label}_transition_to_figure_p50: {statistics.median(delays):.0f} ms")
        print(
            f"{label}_transition_to_figure_p95: {ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]:.0f} ms"
        )
    print(f"{label}_transition_to_figure_steps: {len(delays)} steps")
    print(f"{label}_transition_to_figure_unchanged_after_{timeout_s:.0f}s: {missed} steps", flush=True)
