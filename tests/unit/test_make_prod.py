"""`make prod`'s two halves (scripts/prod_env.py, scripts/prod.py): the environment it runs in
(shell over env file over this machine's defaults; a trial's secret made once) and the
supervisor (every child stopped with its own signal, nothing of theirs left behind, and the
others stopped when one exits). The whole of it ran by hand: README, "Production"."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.servers import ROOT


@pytest.fixture(scope="module")
def prod_modules():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT / "scripts"))
        import prod
        import prod_env

        yield prod_env, prod


def test_an_env_file_is_read_as_systemd_reads_it_and_a_bad_line_is_named(prod_modules, tmp_path):
    prod_env, _ = prod_modules
    path = tmp_path / "onescreen.env"
    path.write_text('# a comment\n\nONESCREEN_PORT=8060\nONESCREEN_BUILD_LABEL="v 1"\n; another\n')
    assert prod_env.read_env_file(path) == {"ONESCREEN_PORT": "8060", "ONESCREEN_BUILD_LABEL": "v 1"}
    path.write_text("ONESCREEN_PORT=8060\nexport ONESCREEN_HOST 0.0.0.0\n")
    with pytest.raises(prod_env.EnvFileError, match=r"onescreen\.env:2: not a KEY=value line: 'export"):
        prod_env.read_env_file(path)


def test_without_an_env_file_it_is_a_trial_whose_secret_is_made_once(prod_modules, tmp_path):
    prod_env, _ = prod_modules
    shell = {"ONESCREEN_DATA_DIR": str(tmp_path / "data"), "ONESCREEN_PORT": "8070"}
    env, notes = prod_env.production_env(shell, tmp_path / "missing.env")
    assert env["ONESCREEN_PROFILE"] == "production" and env["ONESCREEN_PORT"] == "8070"
    assert env["ONESCREEN_DATABASE_URL"].endswith("127.0.0.1:5432/onescreen")
    assert env[prod_env.TRIAL] == "yes" and env["WEB_CONCURRENCY"] == "2"
    key_file = tmp_path / "data" / prod_env.SECRET_FILE
    assert any(f"made just now in {key_file}" in note for note in notes)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again, notes = prod_env.production_env(shell, tmp_path / "missing.env")
    assert again["ONESCREEN_SECRET_KEY"] == env["ONESCREEN_SECRET_KEY"] != ""
    assert any(f"read from {key_file}" in note for note in notes)


def test_an_env_file_wins_over_the_defaults_and_the_shell_over_it(prod_modules, tmp_path):
    prod_env, _ = prod_modules
    path = tmp_path / "onescreen.env"
    path.write_text("ONESCREEN_PORT=8060\nONESCREEN_REDIS_URL=redis://cache:6379/2\nONESCREEN_SECRET_KEY=\n")
    env, notes = prod_env.production_env({"ONESCREEN_PORT": "8080"}, path)
    assert env["ONESCREEN_PORT"] == "8080" and env["ONESCREEN_REDIS_URL"] == "redis://cache:6379/2"
    assert env[prod_env.TRIAL] == "no"
    assert any("ONESCREEN_SECRET_KEY is not set" in note for note in notes)
    assert not (tmp_path / prod_env.SECRET_FILE).exists()


CHILD = """
import os, signal, subprocess, sys, time
# a grandchild in the same process group, as gunicorn's workers are
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(os.getpid(), flush=True)
try:
    time.sleep(float(sys.argv[1]))
except KeyboardInterrupt:
    print("interrupted", flush=True)
sys.exit(int(sys.argv[2]))
"""


def groups_end(children, within_s: float = 5.0) -> bool:
    """Whether every child's process group has ended, given a moment: a process signalled with
    its group may still be exiting when the supervisor returns on a loaded machine."""
    deadline = time.monotonic() + within_s
    while any(group_alive(process.pid) for _, process, _ in children):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (a zombie waiting for init to reap it does
    not: it has ended)."""
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def start_children(prod, tmp_path, *specs):
    supervisor = prod.Supervisor(dict(os.environ))
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    for name, seconds, code, stop_with in specs:
        supervisor.start(name, [sys.executable, str(script), str(seconds), str(code)], stop_with)
    time.sleep(1.0)  # they have started their grandchildren
    return supervisor


def test_told_to_stop_it_stops_every_child_with_its_signal_and_leaves_nothing(prod_modules, tmp_path):
    _, prod = prod_modules
    supervisor = start_children(
        prod, tmp_path, ("web", 60, 0, signal.SIGTERM), ("worker", 60, 0, signal.SIGINT)
    )
    supervisor.stopping.set()
    started = time.monotonic()
    assert supervisor.watch() == 0
    assert time.monotonic() - started < 10
    codes = {name: process.returncode for name, process, _ in supervisor.children}
    assert codes == {"web": -signal.SIGTERM, "worker": 0}  # the worker ended its own way (SIGINT)
    assert groups_end(supervisor.children)


def test_when_one_child_exits_the_others_are_stopped_and_it_says_so(prod_modules, tmp_path, capsys):
    _, prod = prod_modules
    supervisor = start_children(
        prod, tmp_path, ("web", 60, 0, signal.SIGTERM), ("worker", 0.5, 3, signal.SIGINT)
    )
    assert supervisor.watch() == 1
    assert "worker exited with 3; stopping the others" in capsys.readouterr().out
    assert groups_end(supervisor.children)


def test_make_prod_says_so_when_the_database_server_cannot_be_reached(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env.update(
        ONESCREEN_DATA_DIR=str(tmp_path), ONESCREEN_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/x"
    )
    ran = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "prod.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 2
    assert "make prod: cannot reach the database server:" in ran.stderr
