"""Streams as `make run` serves them (gunicorn, config/gunicorn.conf.py): each process gets
GUNICORN_THREADS threads for requests plus live_streams_max for streams, so open streams leave
callbacks their threads; one stream more than the setting is answered 503; a worker told to stop
(SIGTERM) ends its streams at once instead of after the graceful timeout."""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from servers import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.integration

GUNICORN = Path(sys.executable).with_name("gunicorn")


def test_gunicorn_runs_threads_for_requests_plus_streams(monkeypatch):
    for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GUNICORN_THREADS", "3")
    monkeypatch.setenv("ONESCREEN_LIVE_STREAMS_MAX", "5")
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["threads"] == 8
    monkeypatch.setenv("ONESCREEN_LIVE_STREAMS_MAX", "0")  # refused by the settings: the default
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["threads"] == 3 + 16


def test_streams_leave_callbacks_their_threads_and_end_when_the_worker_stops(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env.update(
        ONESCREEN_DATA_DIR=str(tmp_path), ONESCREEN_DEMO_CASES="300", ONESCREEN_DEMO_LIVE="false",
        ONESCREEN_LIVE_STREAMS_MAX="2", GUNICORN_THREADS="2", WEB_CONCURRENCY="1",
    )  # fmt: skip
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, process)
        session = requests.Session()
        csrf = session.get(f"{base}/login", timeout=30).text.split('name="csrf" value="')[1].split('"')[0]
        session.post(f"{base}/login/demo", data={"csrf": csrf, "username": "duty"}, timeout=30)
        streams = [session.get(f"{base}/live/alerts", stream=True, timeout=30) for _ in range(2)]
        assert [s.status_code for s in streams] == [200, 200]
        assert session.get(f"{base}/live/alerts", timeout=10).status_code == 503
        started = time.monotonic()
        assert session.get(f"{base}/_dash-layout", timeout=10).status_code == 200  # a thread was free
        assert time.monotonic() - started < 5
        ended = []

        def read_to_end(response) -> None:
            for _line in response.iter_lines():
                pass
            ended.append(time.monotonic())

        readers = [threading.Thread(target=read_to_end, args=(s,), daemon=True) for s in streams]
        for reader in readers:
            reader.start()
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        for reader in readers:
            reader.join(10)
        assert len(ended) == 2, "the streams did not end when the worker was told to stop"
        assert max(ended) - stopped < 5  # graceful_timeout is 20 s: they did not wait it out
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
