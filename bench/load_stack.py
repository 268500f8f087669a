"""A production-like OneScreen for bench/load.py: a PostgreSQL database of its own on the shared
server (127.0.0.1:5432) holding the demo park, a Redis of its own on a free port (its INFO
counters then count this app's cache reads alone; the shared Redis's count every helper's),
gunicorn in the production profile with WEB_CONCURRENCY=2 and generated secrets, and the feed
worker (`flask --app app worker`) so live data flows; plus the wall, department-head and
duty-officer tokens the load uses, and each server process's CPU time and peak RSS."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.bench_alert_latency import stop  # terminate, then kill after 20 s
from bench.map_render import BIN, ROOT, _wait_until_answering, free_port

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
REDIS_SERVER = "/usr/bin/redis-server"
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass
class Stack:
    """What the load runs against. `pids` names the server's processes (empty for --url)."""

    base: str
    database_url: str
    redis_url: str | None
    tokens: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)


def process_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds used so far, peak RSS in MB) of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / TICKS_PER_S  # utime, stime (fields 14, 15)
    status = Path(f"/proc/{pid}/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return cpu_s, peak_kb / 1024


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def ensure_database(name: str) -> bool:
    """Create database `name` when missing; returns whether it was created."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            if c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                return False
            c.execute(text(f'CREATE DATABASE "{name}"'))
            return True
    finally:
        admin.dispose()


def drop_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


LISTENER = "load-bench-duty"  # the live-stream listeners' user: the stream takes a session, no token


def issue_tokens(database_url: str) -> tuple[dict[str, str], list[int]]:
    """Credentials for the load's users in the store at `database_url`: API tokens for walls
    (viewer, leader), a department head of urban management and a duty officer, and a duty
    officer's user name and a new generated password (`listener_user`, `listener_password`) to
    sign in for the live stream. Returns (credentials, the tokens' ids)."""
    from security import tokens, users
    from store.engine import make_engine

    engine = make_engine(database_url)
    wanted = {"wall_viewer": ("viewer", None), "wall_leader": ("leader", None),
              "department_head": ("department_head", "urban_management"), "duty_officer": ("duty_officer", None)}  # fmt: skip
    issued, ids = {}, []
    try:
        for key, (role, department) in wanted.items():
            token, pk = tokens.issue(engine, f"load bench {key}", role, actor="bench", department=department,
                                     expires_days=1)  # fmt: skip
            issued[key], ids = token, [*ids, pk]
        password = secrets.token_urlsafe(24)
        if users.find(engine, LISTENER) is None:
            users.create_user(engine, LISTENER, ("duty_officer",), password=password, actor="bench")
        else:
            users.set_password(engine, LISTENER, password, actor="bench")
        issued["listener_user"], issued["listener_password"] = LISTENER, password
    finally:
        engine.dispose()
    return issued, ids


def revoke_tokens(database_url: str, ids: list[int]) -> None:
    from security import tokens
    from store.engine import make_engine

    engine = make_engine(database_url)
    try:
        for pk in ids:
            tokens.revoke(engine, pk, actor="bench")
    finally:
        engine.dispose()


def _end_demo_users(database_url: str) -> None:
    """The production profile refuses a store with one-click demo users, which the seed (embedded)
    made: each gets a generated password no one keeps (disabling them all is refused, as the
    last admin must stay), so none signs in with one click."""
    from security import users
    from store.engine import make_engine

    engine = make_engine(database_url)
    try:
        for row in users.demo_users(engine):
            users.set_password(engine, row["username"], secrets.token_urlsafe(24), actor="bench")
    finally:
        engine.dispose()


def _start(command: list, env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 - the child holds it; closed with the process
    try:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()


def _base_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env["ONESCREEN_DATA_DIR"] = str(folder)
    return env


@contextmanager
def own_stack(reuse_db: str | None, keep_logs: Path | None = None):
    """Yield a Stack served by its own gunicorn and worker; everything started is stopped after,
    and the database dropped unless it is the --reuse-db one (kept seeded for the next run)."""
    folder = Path(tempfile.mkdtemp(prefix="onescreen-load-"))
    name = reuse_db or f"onescreen_load_{secrets.token_hex(4)}"
    database_url = PG_URL.format(name=name)
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        if keep_logs is not None:
            stack.callback(_copy_logs, folder, keep_logs)
        created = ensure_database(name)
        if not reuse_db:
            stack.callback(drop_database, name)
        # the embedded profile seeds an empty store with the demo park (and its demo users)
        seed_env = {
            **_base_env(folder),
            "ONESCREEN_DATABASE_URL": database_url,
            "ONESCREEN_DEMO_LIVE": "false",
        }
        started = time.perf_counter()
        with open(folder / "seed.log", "wb") as log:
            subprocess.run([BIN / "flask", "--app", "app", "store", "init"], cwd=ROOT, env=seed_env, check=True,
                           stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        print(
            f"store_init: {time.perf_counter() - started:.1f} s ({'seeded' if created else 'reused'} {name})"
        )
        _end_demo_users(database_url)
        tokens, token_ids = issue_tokens(database_url)
        stack.callback(revoke_tokens, database_url, token_ids)

        redis_port = free_port()
        redis = _start([REDIS_SERVER, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--dir", str(folder)], _base_env(folder), folder / "redis.log")  # fmt: skip
        stack.callback(stop, redis)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"

        port = free_port()
        env = {**_base_env(folder), "ONESCREEN_PROFILE": "production", "ONESCREEN_DATABASE_URL": database_url,
               "ONESCREEN_REDIS_URL": redis_url, "ONESCREEN_SECRET_KEY": secrets.token_urlsafe(48),
               "WEB_CONCURRENCY": "2"}  # fmt: skip
        server = _start([BIN / "gunicorn", "--config", "config/gunicorn.conf.py", "--no-control-socket",
                         "--bind", f"127.0.0.1:{port}", "app:create_app()"], env, folder / "server.log")  # fmt: skip
        stack.callback(stop, server)
        worker = _start([BIN / "flask", "--app", "app", "worker"], env, folder / "worker.log")
        stack.callback(stop, worker)
        base = f"http://127.0.0.1:{port}"
        _wait_until_answering(f"{base}/login", server)
        if worker.poll() is not None:
            raise RuntimeError(f"the feed worker exited with {worker.returncode}: see {folder}/worker.log")
        pids = {"gunicorn master": server.pid, "feed worker": worker.pid}
        pids.update({f"gunicorn worker {n + 1}": pid for n, pid in enumerate(children(server.pid))})
        yield Stack(base=base, database_url=database_url, redis_url=redis_url, tokens=tokens, pids=pids)


def _copy_logs(folder: Path, to: Path) -> None:
    to.mkdir(parents=True, exist_ok=True)
    for log in folder.glob("*.log"):
        shutil.copy(log, to / log.name)
