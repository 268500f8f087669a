"""Private services for tests that stop and restart one (never the machine's shared PostgreSQL on
5432, Redis on 6379 or Mosquitto on 1883): Debian's binaries on a free port of 127.0.0.1, each
started, stopped and started again on the same port. Mosquitto has its own configuration and
persistence in a temp folder, so sessions and queued QoS 1 messages survive a restart as they do
in production; Redis keeps nothing (pub/sub has no backlog anyway); PostgreSQL keeps its data
folder across a restart (fsync off: a test's store need not survive a power cut)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event

from tests.servers import free_port, wait_for_port

MOSQUITTO = "/usr/sbin/mosquitto"
REDIS_SERVER = "/usr/bin/redis-server"
POSTGRES_BIN = Path("/usr/local/bin")
# PostgreSQL refuses to run as root: as root, its processes run as the system's postgres user
POSTGRES_USER = "postgres" if os.geteuid() == 0 else None


class PrivateServer:
    """A server process on a free port of 127.0.0.1: start() waits until it listens, stop()
    until it has gone, restart() does both on the same port."""

    stop_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def popen(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command())  # noqa: S603

    def start(self) -> None:
        if self.process is None:
            self.process = self.popen()
            wait_for_port(self.port, self.process, timeout_s=30)

    def stop(self) -> None:
        """Stop it and wait until it has gone (Mosquitto saves its sessions on the way out)."""
        if self.process is not None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


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
        # as root, Mosquitto becomes the mosquitto user, who may not write in a test's folder
        # (pytest's are 0700): it would then keep no session across a restart and say so nowhere
        as_root = "user root\n" if os.geteuid() == 0 else ""
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"allow_anonymous {'true' if anonymous else 'false'}\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            f"{as_root}"
            "log_dest none\n",
            encoding="utf-8",
        )

    def command(self) -> list[str]:
        return [MOSQUITTO, "-c", str(self.config)]

    def popen(self) -> subprocess.Popen[bytes]:
        with open(self.folder / "mosquitto.log", "ab") as log:  # its warning about running as root
            return subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


class PrivatePostgres(PrivateServer):
    """A PostgreSQL cluster of its own (initdb into a temp folder, trust auth, superuser
    `postgres`, database `postgres`), served by `postgres` in the foreground on a free port.
    stop() is a fast shutdown (SIGINT, as `pg_ctl stop -m fast`): open sessions are ended,
    whereas SIGTERM would wait for every pooled connection to leave. close() also deletes it."""

    stop_signal = signal.SIGINT

    def __init__(self) -> None:
        super().__init__()
        # its own folder outside pytest's (mode 0700 under root): the postgres user must enter it
        self.folder = Path(tempfile.mkdtemp(prefix="onescreen-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        if POSTGRES_USER:
            shutil.chown(self.folder, POSTGRES_USER)
        subprocess.run(  # noqa: S603
            [str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
             "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, user=POSTGRES_USER,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def command(self) -> list[str]:
        return [str(POSTGRES_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=100"]  # fmt: skip

    def popen(self) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as log:
            return subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, user=POSTGRES_USER)  # noqa: S603

    @contextmanager
    def engines_disposed(self) -> Iterator[None]:
        """Dispose, on the way out, of every engine that connected to this server meanwhile (an
        app holds several: its store, its sources' and health book's): a pooled connection left
        to the garbage collector is a ResourceWarning in whichever test runs then."""
        engines: weakref.WeakSet[Engine] = weakref.WeakSet()

        def remember(connection) -> None:
            if connection.engine.url.port == self.port:
                engines.add(connection.engine)

        event.listen(Engine, "engine_connect", remember)
        try:
            yield
        finally:
            event.remove(Engine, "engine_connect", remember)
            for engine in list(engines):
                engine.dispose()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
