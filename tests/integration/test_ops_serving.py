"""Operations as production serves them: gunicorn with two workers (config/gunicorn.conf.py)
sums both workers' figures in /metrics (prometheus-client's multiprocess mode), writes one JSON
access line per request carrying the response's request id (gunicorn's own access log off), and
a production app on PostgreSQL is not ready while its Redis does not answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from apps import build_app
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from servers import ROOT, free_port, wait_for_port

from ops.multiproc import folder_for
from services.context import KEY

pytestmark = pytest.mark.integration

GUNICORN = Path(sys.executable).with_name("gunicorn")
OPS_OK = {"method": "GET", "kind": "ops", "status": "200"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, data folder, log file) of gunicorn with two workers on a small demo park."""
    data_dir = tmp_path_factory.mktemp("ops-gunicorn")
    port = free_port()
    # a previous run's worker: must not be summed
    stale = folder_for(data_dir, f"127.0.0.1:{port}") / "counter_999999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left over")
    # another server on the same data folder (a second node on this host): its figures are its own
    neighbour = folder_for(data_dir, "127.0.0.1:1") / "counter_888888.db"
    neighbour.parent.mkdir()
    neighbour.write_bytes(b"the other node's")
    # the park is seeded here (or copied from the run's template), not by the workers
    build_app(data_dir).server.extensions[KEY].engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONESCREEN_", "PROMETHEUS_"))}
    env.update(
        ONESCREEN_DATA_DIR=str(data_dir), ONESCREEN_DEMO_CASES="300", ONESCREEN_DEMO_LIVE="false",
        ONESCREEN_LOG_FORMAT="json", WEB_CONCURRENCY="2", GUNICORN_THREADS="4",
    )  # fmt: skip
    log_path = data_dir / "gunicorn.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", data_dir, log_path
    except Exception:
        log.flush()
        print(log_path.read_text()[-4000:])
        raise
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _ops_requests(samples) -> float:
    return sum(
        s.value
        for s in samples
        if s.name == "onescreen_http_requests_total" and {k: s.labels.get(k) for k in OPS_OK} == OPS_OK
    )


def _per_worker(folder: Path) -> dict[str, float]:
    """Each worker's own count of answered probes, read from its file in the metrics folder."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        merged = MultiProcessCollector.merge([str(path)], accumulate=True)
        counts[path.stem] = _ops_requests(s for metric in merged for s in metric.samples)
    return counts


def _probe(url: str) -> int:
    return requests.get(f"{url}/healthz", timeout=120).status_code  # a new connection each time


def test_metrics_are_the_sum_over_both_workers(served):
    url, data_dir, _log = served
    folder = folder_for(data_dir, url.removeprefix("http://"))
    # the other server's folder is left as it was (neither emptied nor summed)
    assert (folder_for(data_dir, "127.0.0.1:1") / "counter_888888.db").read_bytes() == b"the other node's"
    # The master listens before its workers have built the app: the first probe waits for one.
    # Every probe that got its 200 was counted by the worker that answered it.
    answered = [_probe(url)].count(200)
    with ThreadPoolExecutor(8) as pool:
        for _round in range(40):  # until both workers are up and each has answered some
            answered += list(pool.map(_probe, [url] * 24)).count(200)
            workers = _per_worker(folder)
            if len([n for n in workers.values() if n > 0]) >= 2:
                break
    assert "counter_999999" not in workers  # the folder was emptied when gunicorn started
    assert len([n for n in workers.values() if n > 0]) == 2, workers
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    samples = [s for family in text_string_to_metric_families(response.text) for s in family.samples]
    assert _ops_requests(samples) == answered == sum(workers.values())
    # the store's figures are read once, not summed over the workers
    alerts = [s for s in samples if s.name == "onescreen_alerts"]
    assert len(alerts) == 6 and len({s.labels["state"] for s in alerts}) == 6


def test_each_request_is_logged_once_as_json_with_its_id(served):
    url, _data_dir, log_path = served
    response = requests.get(f"{url}/readyz", headers={"X-Request-ID": "lb-probe-1"}, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    assert response.headers["X-Request-ID"] == "lb-probe-1"
    # gunicorn itself refuses a header field over 8,190 bytes (431): a 10 kB id never reaches the app
    assert (
        requests.get(f"{url}/healthz", headers={"X-Request-ID": "x" * 10_240}, timeout=10).status_code == 431
    )
    injected = requests.get(f"{url}/healthz", headers={"X-Request-ID": "x" * 4_000}, timeout=10)
    assert len(injected.headers["X-Request-ID"]) == 32
    requests.get(f"{url}/healthz", timeout=10)  # flushed before the file is read: the lines above are in
    lines = log_path.read_text().splitlines()
    access = [json.loads(line) for line in lines if line.startswith("{") and '"onescreen.access"' in line]
    mine = [line for line in access if line["request_id"] == "lb-probe-1"]
    assert len(mine) == 1 and mine[0]["path"] == "/readyz" and mine[0]["status"] == 200
    assert [line["request_id"] for line in access if len(line["request_id"]) == 32].count(
        injected.headers["X-Request-ID"]
    ) == 1
    assert not [line for line in lines if '"GET /readyz HTTP/1.1"' in line]  # gunicorn's access line is off


def test_production_is_not_ready_while_redis_does_not_answer(tmp_path, pg_url):
    closed = free_port()
    app = build_app(
        tmp_path, profile="production", database_url=pg_url, secret_key="s" * 40,
        redis_url=f"redis://127.0.0.1:{closed}/0",
    )  # fmt: skip
    response = app.server.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503, body
    assert body["dependencies"]["store"] == {"state": "ok"}
    assert body["dependencies"]["redis"]["state"] == "down"
    assert str(closed) in body["dependencies"]["redis"]["reason"]
