"""Private brokers for tests that stop and restart one (never the shared Mosquitto on 1883 or
Redis on 6379): Debian's binaries on a free port. Mosquitto has its own configuration and
persistence in a temp folder, so sessions and queued QoS 1 messages survive a restart as they
do in production; Redis keeps nothing (pub/sub has no backlog anyway)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.servers import free_port, wait_for_port

MOSQUITTO = "/usr/sbin/mosquitto"
REDIS_SERVER = "/usr/bin/redis-server"


class PrivateServer:
    """A server process on a free port of 127.0.0.1: start() waits until it listens, stop()
    until it has gone."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        if self.process is None:
            self.process = subprocess.Popen(self.command())  # noqa: S603
            wait_for_port(self.port, self.process, timeout_s=10)

    def stop(self) -> None:
        """Stop it and wait until it has gone (Mosquitto saves its sessions on the way out)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class PrivateRedis(PrivateServer):
    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--loglevel", "warning"]  # fmt: skip


class PrivateMosquitto(PrivateServer):
    def __init__(self, folder: Path, *, anonymous: bool = True) -> None:
        super().__init__()
        self.folder = folder
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"allow_anonymous {'true' if anonymous else 'false'}\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            "log_dest none\n",
            encoding="utf-8",
        )

    def command(self) -> list[str]:
        return [MOSQUITTO, "-c", str(self.config)]


def mqtt_sources_file(folder: Path, topic: str, *, title: str = "") -> Path:
    """A sources file in `folder`: the park's store serving every panel, and `park-sensors`, an
    mqtt source on the shared Mosquitto subscribed to `topic`/# with a client id of its own
    (`title`: its YAML title mapping, e.g. "{en: Park sensors, zh: 园区传感器}")."""
    import uuid

    path = folder / "sources.yaml"
    path.write_text(
        f"""sources:
  park-store:
    adapter: sql
    serves: [cases, case_events, sensors, readings, alerts, features, enterprises, enterprise_figures, chains]
    options: {{url: "${{store_url}}"}}
  park-sensors:
    adapter: mqtt
    {"title: " + title if title else ""}
    options:
      topics: ["{topic}/#"]
      client_id: onescreen-it-{uuid.uuid4().hex[:12]}
      session_expiry_s: 60
""",
        encoding="utf-8",
    )
    return path
