"""Starting real server processes for tests: a free port, and waiting until it listens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"server did not listen on {port} within {timeout_s} s")


class AppServer:
    """`python app.py` on a port and data folder of its own, stopped and started again at will
    (a restart keeps both: the pages open on it reconnect to the same address and store).
    `env`: ONESCREEN_* settings besides the data folder and port (the machine's own are dropped)."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = dict(env or {})
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **more: str) -> None:
        """Start it (`more`: settings for this start only, e.g. another build label). On its
        first start an embedded server with a number of demo cases gets a copy of the run's
        template park (tests/apps.py) instead of seeding one of its own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
        env.update(self.env, ONESCREEN_DATA_DIR=str(self.data_dir), ONESCREEN_PORT=str(self.port), **more)
        cases = env.get("ONESCREEN_DEMO_CASES")
        embedded = not ({"ONESCREEN_DATABASE_URL", "ONESCREEN_PROFILE"} & set(env))
        if cases and embedded and not (self.data_dir / "onescreen.sqlite").exists():
            from apps import copy_park  # the app's modules, loaded only when a server needs them

            seed = env.get("ONESCREEN_DEMO_SEED")
            copy_park(self.data_dir, int(cases), int(seed) if seed else None)
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for_port(self.port, self.process)
        except Exception:
            print(self.log.read_text()[-4000:])
            raise

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None
