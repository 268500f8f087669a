"""`make prod`: the production profile on this machine, in the foreground (README, "Production").

Once: the database is created if missing, `flask --app app store init` migrates it (with the demo
park into an empty store on a trial) and a trial's user `admin` is made. Then, each in a process
group of its own: gunicorn (WEB_CONCURRENCY workers) serving the app, ONE feed worker (`flask
--app app worker`: feeds, alert rules, syncs) and, on a trial, the demo sensors published over
MQTT. Ctrl-C (or SIGTERM) stops them all, each with the signal it shuts down cleanly on, and
makes sure nothing of theirs is left; if one of them exits, the others are stopped too."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from prod_env import ROOT, TRIAL, EnvFileError, ensure_database, production_env

BIN = Path(sys.executable).parent
STOP_WAIT_S = 30  # gunicorn's graceful_timeout is 20 s
ADMIN = "admin"
ADMIN_PASSWORD_FILE = "admin.password"


class Supervisor:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen[bytes], signal.Signals]] = []
        self.stopping = threading.Event()

    def start(self, name: str, argv: list[str], stop_with: signal.Signals) -> None:
        # a session of its own: the terminal's Ctrl-C reaches this supervisor only, which stops
        # the children in order; and killpg reaches whatever a child started (gunicorn's workers)
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, start_new_session=True)
        self.children.append((name, process, stop_with))
        print(f"make prod: started {name} (pid {process.pid})", flush=True)

    def watch(self) -> int:
        """Wait until told to stop or a child exits; stop the rest; the exit status."""
        status = 0
        while not self.stopping.wait(0.5):
            exited = [(name, p.returncode) for name, p, _ in self.children if p.poll() is not None]
            if exited:
                name, code = exited[0]
                print(f"make prod: {name} exited with {code}; stopping the others", flush=True)
                status = 1
                break
        self.stop_all()
        return status

    def stop_all(self) -> None:
        for name, process, stop_with in reversed(self.children):
            if process.poll() is None:
                print(f"make prod: stopping {name}", flush=True)
                process.send_signal(stop_with)
        deadline = time.monotonic() + STOP_WAIT_S
        for name, process, _ in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"make prod: {name} did not stop within {STOP_WAIT_S} s: killed", flush=True)
            with contextlib.suppress(ProcessLookupError):  # what is left of its group (orphans)
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_once(env: dict[str, str], *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "app", *argv], cwd=ROOT, env=env, input=stdin, text=True, check=False
    )


def trial_admin(env: dict[str, str]) -> None:
    """A trial's one user: `admin` with a random password kept in the data folder (the production
    profile refuses the embedded profile's password-less demo users)."""
    path = Path(env["ONESCREEN_DATA_DIR"]) / ADMIN_PASSWORD_FILE
    if path.exists():
        print(f"make prod: sign in as {ADMIN} with the password in {path}", flush=True)
        return
    password = secrets.token_urlsafe(15)
    made = run_once(
        env,
        "users",
        "create",
        ADMIN,
        "--role",
        "admin",
        "--role",
        "leader",
        "--role",
        "duty_officer",
        "--password-stdin",
        stdin=password + "\n",
    )
    if made.returncode != 0:
        print(f"make prod: {ADMIN} not made (above); `flask --app app users password {ADMIN}` sets one")
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(password + "\n")
    print(f"make prod: made user {ADMIN}; its password is in {path} (this user only)", flush=True)


def main() -> int:
    try:
        env, notes = production_env(os.environ)
    except (EnvFileError, OSError) as exc:
        print(f"make prod: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"make prod: {note}", flush=True)
    try:
        created = ensure_database(env["ONESCREEN_DATABASE_URL"])
    except Exception as exc:  # psycopg's OperationalError and friends: say it in one line
        print(f"make prod: cannot reach the database server: {exc}", file=sys.stderr)
        return 2
    if created:
        print(f"make prod: {created}", flush=True)
    trial = env[TRIAL].lower() in ("yes", "true", "1")
    if run_once(env, "store", "init", *(["--demo"] if trial else [])).returncode != 0:
        return 2
    if trial:
        trial_admin(env)
    supervisor = Supervisor(env)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: supervisor.stopping.set())
    bind = f"{env['ONESCREEN_HOST']}:{env['ONESCREEN_PORT']}"
    gunicorn = [
        str(BIN / "gunicorn"),
        "--config",
        "config/gunicorn.conf.py",
        "--bind",
        bind,
        "app:create_app()",
    ]
    supervisor.start(
        f"gunicorn ({env['WEB_CONCURRENCY']} workers) on http://{bind}", gunicorn, signal.SIGTERM
    )
    # the flask commands end cleanly on Ctrl-C (KeyboardInterrupt): the worker hands its lease back
    supervisor.start("feed worker", [str(BIN / "flask"), "--app", "app", "worker"], signal.SIGINT)
    if trial:
        publish = [str(BIN / "flask"), "--app", "app", "demo", "publish", "--topic", "park/sensors/demo"]
        supervisor.start("demo sensors over MQTT", [*publish, "--tick-s", "10"], signal.SIGINT)
    print("make prod: Ctrl-C stops everything it started", flush=True)
    return supervisor.watch()


if __name__ == "__main__":
    sys.exit(main())
