"""Shared fixtures: a running OneScreen server on a free port (real process, small demo park)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from apps import copy_park
from servers import ROOT, free_port, wait_for_port

SMALL_PARK_CASES = 5_000


@pytest.fixture(scope="session")
def live_data_dir(tmp_path_factory):
    """The live server's data directory (its SQLite store: onescreen.sqlite)."""
    return tmp_path_factory.mktemp("onescreen-data")


@pytest.fixture(scope="session")
def live_server(live_data_dir):
    """Base URL of a real OneScreen server (Flask's threaded server) on a small demo park."""
    data_dir = live_data_dir
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env.update(
        ONESCREEN_DATA_DIR=str(data_dir),
        ONESCREEN_PORT=str(port),
        ONESCREEN_DEMO_CASES=str(SMALL_PARK_CASES),
        # pages the tests walk must not move under them (the simulator has its own tests)
        ONESCREEN_DEMO_LIVE="false",
        # the embedded panels' browser test frames /embed/ from a page served on localhost
        ONESCREEN_EMBED_FRAME_ANCESTORS='["http://localhost:*"]',
    )
    copy_park(data_dir, SMALL_PARK_CASES)  # the run's template park, not a seed of its own (tests/apps.py)
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    except Exception:
        log.flush()
        print((data_dir / "server.log").read_text()[-4000:])
        raise
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def pytest_sessionfinish(session):
    """The template parks (tests/apps.py) go when the run ends, removed by the process that ran
    it: its workers (pytest-xdist) share them to the last test."""
    if not hasattr(session.config, "workerinput"):
        from apps import remove_templates

        remove_templates()
