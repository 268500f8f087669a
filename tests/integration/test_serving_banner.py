"""Start-up says where to go (issue 8, defect 10): served as `make run` serves it (gunicorn with
config/gunicorn.conf.py), OneScreen prints one line with its URL and the demo users once it
answers, however many workers it has; so does `python app.py` (the live test server)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from servers import ROOT, free_port, wait_for_port

GUNICORN = Path(sys.executable).with_name("gunicorn")
DEMO = "leader, dept-head, duty, viewer, admin"


def test_gunicorn_prints_the_url_once_serving(live_server, live_data_dir, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env.update(ONESCREEN_DATA_DIR=str(live_data_dir), ONESCREEN_DEMO_LIVE="false", WEB_CONCURRENCY="2")
    out = open(tmp_path / "out.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "--config",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        banner = f"OneScreen is serving http://127.0.0.1:{port} — sign in with a demo user on the sign-in page ({DEMO})"
        deadline = time.monotonic() + 120
        while banner not in (tmp_path / "out.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
            assert response.status == 200  # the line is true when printed
        time.sleep(3)  # the second worker has booted by now and must not say it again
        assert (tmp_path / "out.log").read_text().count("OneScreen is serving") == 1
        assert banner in (tmp_path / "out.log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)
        out.close()


def test_the_development_server_prints_it_too(live_server, live_data_dir):
    log = (live_data_dir / "server.log").read_text()
    assert f"OneScreen is serving {live_server} — sign in with a demo user" in log
