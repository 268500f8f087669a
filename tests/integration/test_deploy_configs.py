"""The deployment files in deploy/ checked by the tools that will read them: Debian's nginx
(`nginx -t` on the site file with throw-away certificates), systemd (`systemd-analyze verify` on
the units, their paths pointed at this checkout), and for the Dockerfile, which needs a daemon to
build, what it must hold. The env example names every variable the other files read."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from config.settings import ENV_PREFIX, Settings, SettingsError, load_settings
from tests.servers import ROOT

pytestmark = pytest.mark.integration

DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "onescreen.conf"
UNITS = [DEPLOY / "onescreen-web.service", DEPLOY / "onescreen-worker.service"]
ENV_EXAMPLE = DEPLOY / "onescreen.env.example"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def location(conf: str, path: str) -> str:
    found = re.search(rf"location {re.escape(path)} \{{(.*?)\n    \}}", conf, re.S)
    assert found, f"no location {path}"
    return found.group(1)


# --- nginx -------------------------------------------------------------------------------------


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (make system-deps installs Debian's)")
def test_nginx_accepts_the_site_file(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", tmp_path / "privkey.pem", "-out", tmp_path / "fullchain.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    site = NGINX_SITE.read_text()
    assert "/etc/ssl/onescreen/fullchain.pem" in site and "/etc/ssl/onescreen/privkey.pem" in site
    site = site.replace("/etc/ssl/onescreen/", f"{tmp_path}/").replace(
        "/var/cache/nginx/onescreen", f"{tmp_path}/cache"
    )
    (tmp_path / "site.conf").write_text(site)
    main = f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/site.conf;
}}
"""
    (tmp_path / "nginx.conf").write_text(main)
    checked = subprocess.run(
        [NGINX, "-t", "-p", tmp_path, "-e", tmp_path / "error.log", "-c", tmp_path / "nginx.conf"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    broken = site.replace("proxy_buffering off;", "proxy_buffering of;", 1)
    (tmp_path / "site.conf").write_text(broken)
    refused = subprocess.run(
        [NGINX, "-t", "-p", tmp_path, "-e", tmp_path / "error.log", "-c", tmp_path / "nginx.conf"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "proxy_buffering" in refused.stderr  # the check can fail


def test_the_live_streams_pass_through_nginx_unbuffered_and_uncompressed():
    conf = NGINX_SITE.read_text()
    for path in ("/live/", "/embed/_live/"):
        block = location(conf, path)
        assert "proxy_buffering off;" in block, path
        assert "gzip off;" in block, path
        timeout = re.search(r"proxy_read_timeout (\d+)([smh]);", block)
        assert timeout and timeout.group(2) == "h", f"{path}: a stream stays open for hours"


def test_the_site_file_redirects_to_https_balances_two_nodes_and_keeps_brotli_a_comment():
    conf = NGINX_SITE.read_text()
    assert re.search(r"listen 80;.*?return 301 https://\$host\$request_uri;", conf, re.S)
    assert "listen 443 ssl" in conf
    upstream = re.search(r"upstream onescreen \{(.*?)\}", conf, re.S)
    assert upstream and len(re.findall(r"^\s*server \S+", upstream.group(1), re.M)) == 2
    for header in ("X-Forwarded-For", "X-Forwarded-Proto"):
        assert f"proxy_set_header {header}" in conf
    assert "ONESCREEN_PROXY_COUNT=1" in conf
    active = [line for line in conf.splitlines() if not line.lstrip().startswith("#")]
    assert not any("brotli" in line for line in active), "Debian's nginx has no brotli module"
    assert "proxy_cache onescreen_static;" in location(conf, "/assets/")
    assert "expires" in location(conf, "/_dash-component-suites/")
    assert "gzip_types" in conf


# --- systemd -----------------------------------------------------------------------------------


def units_here(tmp_path: Path, units: list[Path]) -> list[Path]:
    """The units with their paths pointed at this checkout's .venv and a local env file."""
    (tmp_path / "onescreen.env").write_text("ONESCREEN_PROFILE=production\n")
    copies = []
    for unit in units:
        text = unit.read_text().replace("/opt/onescreen", str(ROOT))
        text = text.replace("/etc/onescreen/onescreen.env", str(tmp_path / "onescreen.env"))
        copies.append(tmp_path / unit.name)
        copies[-1].write_text(text)
    return copies


def verify(units: list[Path]) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *map(str, units)], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        pytest.skip("verify needs the units' ExecStart binaries: this checkout has no .venv/bin/gunicorn")
    copies = units_here(tmp_path, UNITS)
    checked = verify(copies)
    if checked.returncode != 0 and not any(
        str(c) in checked.stderr or c.name in checked.stderr for c in copies
    ):
        pytest.skip(f"systemd-analyze cannot verify here: {checked.stderr.strip()[:300]}")
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr
    misspelt = tmp_path / "misspelt" / UNITS[1].name
    misspelt.parent.mkdir()
    misspelt.write_text(copies[1].read_text().replace("KillSignal=", "KillSignl="))
    assert "Unknown key 'KillSignl'" in verify([misspelt]).stderr  # the check can fail


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_runs_as_its_user_from_the_env_file_restarts_and_is_hardened(unit):
    text = unit.read_text()
    for line in (
        "User=onescreen",
        "WorkingDirectory=/opt/onescreen",
        "EnvironmentFile=/etc/onescreen/onescreen.env",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/onescreen",
        "PrivateTmp=yes",
    ):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), f"{unit.name}: {line}"
    assert env_example()["ONESCREEN_DATA_DIR"] == "/var/lib/onescreen"  # what ReadWritePaths allows


def test_the_worker_unit_runs_the_one_feed_worker_and_stops_it_with_sigint():
    text = UNITS[1].read_text()
    assert re.search(r"^ExecStart=\S+/flask --app app worker$", text, re.M)
    assert "KillSignal=SIGINT" in text  # the worker hands its lease back on KeyboardInterrupt


# --- the container -----------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_installs_the_lock_file_and_runs_gunicorn_as_a_user_with_a_healthcheck():
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = [args for op, args in steps if op == "RUN"]
    assert any(re.search(r"pip install .*-r requirements\.lock", run) for run in runs)
    assert ("COPY", "requirements.lock ./") in steps
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0"), "the app must not run as root"
    assert any(op == "EXPOSE" for op, _ in steps)
    health = [args for op, args in steps if op == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    command = [args for op, args in steps if op == "CMD"][-1]
    assert "gunicorn --config config/gunicorn.conf.py" in command and "app:create_app()" in command
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for kept_out in (".venv", "var", "deploy/onescreen.env", ".git"):
        assert kept_out in ignored, kept_out


# --- the settings every file reads -------------------------------------------------------------


def test_the_env_example_names_every_variable_the_deploy_files_read():
    documented = set(env_example())
    for path in [*UNITS, DEPLOY / "Dockerfile", DEPLOY / "compose.yaml"]:
        for name in re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", path.read_text()):
            if name.startswith(ENV_PREFIX) or name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
                assert name in documented, f"{path.name} reads {name}"
    gunicorn = (ROOT / "config" / "gunicorn.conf.py").read_text()
    for name in re.findall(r'os\.environ\.get\("([A-Z_]+)"', gunicorn):
        assert name in documented, f"config/gunicorn.conf.py reads {name}"
    settings = {name for name in documented if name.startswith(ENV_PREFIX)}
    unknown = {name for name in settings if name[len(ENV_PREFIX) :].lower() not in Settings.model_fields}
    assert not unknown, f"not settings: {unknown}"


def test_the_env_example_is_refused_until_its_secret_key_is_filled_in(monkeypatch):
    for name in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)
    for name, value in env_example().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="secret_key: .*needs a secret key; it is empty"):
        load_settings()
    monkeypatch.setenv("ONESCREEN_SECRET_KEY", "9f" * 32)
    settings = load_settings()
    assert settings.profile == "production" and settings.proxy_count == 1
    assert settings.database_url and settings.redis_url
