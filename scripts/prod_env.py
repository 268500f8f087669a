"""The environment `make prod` runs the production profile in (README, "Production").

Settings come, strongest first, from the shell's environment, deploy/onescreen.env (the file a
site keeps; the same KEY=value lines systemd's EnvironmentFile reads) and the defaults below,
which are this machine's services: PostgreSQL, Redis and Mosquitto on 127.0.0.1. Without an env
file it is a trial: a secret key is made once in the data folder, and the demo park is shown."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / "deploy" / "onescreen.env"
SECRET_FILE = "production-secret.key"
# make prod only (systemd and the container never read it): "yes" fills an empty store with the
# demo park, makes a user `admin` and publishes the demo sensors over MQTT
TRIAL = "PROD_DEMO"

LOCAL_DEFAULTS = {
    "ONESCREEN_PROFILE": "production",
    # its own database, not `test` (where the tests make and drop schemas all day): what an
    # operator looks for in psql is `onescreen`, and dropping it never touches anything else
    "ONESCREEN_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/onescreen",
    "ONESCREEN_REDIS_URL": "redis://127.0.0.1:6379/0",
    "ONESCREEN_SOURCES_FILE": str(ROOT / "deploy" / "sources.yaml"),
    "ONESCREEN_DATA_DIR": str(ROOT / "var" / "prod"),
    "ONESCREEN_HOST": "127.0.0.1",
    "ONESCREEN_PORT": "8050",
    "WEB_CONCURRENCY": "2",
}


class EnvFileError(ValueError):
    """A line of the env file is not KEY=value; the message names the file and line."""


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd reads them: blank lines and # comments skipped, one pair of
    surrounding quotes removed."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key.replace("_", "").isalnum() or key[0].isdigit():
            raise EnvFileError(f"{path}:{number}: not a KEY=value line: {raw[:60]!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def production_env(environ: Mapping[str, str], env_file: Path = ENV_FILE) -> tuple[dict[str, str], list[str]]:
    """The environment of every process `make prod` starts, and what it says about it."""
    notes = []
    from_file: dict[str, str] = {}
    if env_file.is_file():
        from_file = read_env_file(env_file)
        notes.append(f"settings: {env_file} (and this shell's ONESCREEN_* variables, which win)")
    else:
        notes.append(f"settings: no {env_file.name}: a trial on this machine's services (copy "
                     f"{env_file.name}.example there for a site)")  # fmt: skip
    env = {**LOCAL_DEFAULTS, **from_file, **environ}
    env.setdefault(TRIAL, "no" if from_file else "yes")
    if not env.get("ONESCREEN_SECRET_KEY"):
        if from_file:
            notes.append(f"ONESCREEN_SECRET_KEY is not set in {env_file}: the production profile will refuse")
        else:
            path = Path(env["ONESCREEN_DATA_DIR"]) / SECRET_FILE
            made = not path.exists()
            env["ONESCREEN_SECRET_KEY"] = local_secret(path)
            notes.append(f"secret key: {'made just now in' if made else 'read from'} {path}")
    return env, notes


def local_secret(path: Path) -> str:
    """A random key kept in `path` (this user only), made on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise EnvFileError(f"{path} holds no usable key: delete it to have a new one made")
    return key


def ensure_database(url: str) -> str | None:
    """Create the PostgreSQL database `url` names when it is missing; say what was done, or None
    (another kind of store, or it exists). Raises OSError-like psycopg errors when unreachable."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return None
    server: dict[str, Any] = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432, "user": parsed.username,
              "password": parsed.password, "dbname": "postgres", "connect_timeout": 5}  # fmt: skip
    conninfo = make_conninfo(**{k: v for k, v in server.items() if v is not None})
    with psycopg.connect(conninfo, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
        if found.fetchone():
            return None
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
    return f"database: created {parsed.database!r} on {server['host']}:{server['port']}"
