"""A private Mosquitto for tests that stop and restart a broker (never the shared one on 1883):
Debian's binary on a free port, with its own configuration and persistence in a temp folder,
so sessions and queued QoS 1 messages survive a restart as they do in production."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.servers import free_port, wait_for_port

MOSQUITTO = "/usr/sbin/mosquitto"


class PrivateMosquitto:
    def __init__(self, folder: Path, *, anonymous: bool = True) -> None:
        self.folder = folder
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"allow_anonymous {'true' if anonymous else 'false'}\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            "log_dest none\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.process is None:
            self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)])  # noqa: S603
            wait_for_port(self.port, self.process, timeout_s=10)

    def stop(self) -> None:
        """Stop it and wait until it has gone (it saves its sessions on the way out)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
