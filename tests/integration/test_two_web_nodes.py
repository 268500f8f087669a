"""Two web nodes as a site runs them (README, "Production"): two gunicorn processes in the
production profile on different ports, one PostgreSQL store (this module's own schema) and the
shared Redis (channels and keys named after the store, so no other test hears them). A session
made on one node is good on the other, and an alert step taken through one node reaches a live
stream served by the other, over Redis (well before the stream's 5 s look in the store)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from live_alerts import write_alert
from sqlalchemy import create_engine, text

from security.users import create_user
from store.engine import make_engine
from store.migrate import upgrade
from tests.integration.conftest import PG_URL
from tests.servers import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.integration

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
REDIS = "redis://127.0.0.1:6379/0"
PASSWORD = "two-nodes-" + uuid.uuid4().hex[:12]
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
OVER_REDIS_S = 2.5  # the stream's own look in the store comes every 5 s


class Node:
    """`gunicorn app:create_app()` with config/gunicorn.conf.py, one worker, its own port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
                 "app:create_app()"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self) -> None:
        try:
            wait_for_port(self.port, self.process, timeout_s=240)
        except Exception:
            print(self.log.read_text()[-4000:])
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def store_url():
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    create_user(engine, "ops", ["duty_officer"], password=PASSWORD, actor="test")
    yield url
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def nodes(store_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-nodes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env.update(
        ONESCREEN_PROFILE="production",
        ONESCREEN_DATABASE_URL=store_url,
        ONESCREEN_REDIS_URL=REDIS,
        ONESCREEN_SECRET_KEY=uuid.uuid4().hex * 2,  # one key for the site, as the env file gives
        ONESCREEN_SOURCES_FILE=str(ROOT / "deploy" / "sources.yaml"),
        WEB_CONCURRENCY="1",
    )
    started = [
        Node({**env, "ONESCREEN_DATA_DIR": str(folder / name)}, folder / f"{name}.log") for name in ("a", "b")
    ]
    try:
        for node in started:
            node.wait()
        yield started
    finally:
        for node in started:
            node.stop()


def sign_in(node: Node) -> requests.Session:
    session = requests.Session()
    form = CSRF_FIELD.search(session.get(f"{node.url}/login", timeout=30).text)
    assert form, "no sign-in form"
    answer = session.post(
        f"{node.url}/login",
        data={"csrf": form.group(1), "username": "ops", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    return session


def test_a_session_made_on_one_node_is_good_on_the_other(nodes):
    first, second = nodes
    assert requests.get(f"{second.url}/_dash-layout", timeout=30).status_code == 401
    session = sign_in(first)
    cookies = {"onescreen_session": session.cookies["onescreen_session"]}
    assert requests.get(f"{second.url}/_dash-layout", cookies=cookies, timeout=30).status_code == 200
    listed = requests.get(f"{second.url}/api/v1/alerts", cookies=cookies, timeout=30)
    assert listed.status_code == 200, listed.text[:300]


def test_an_alert_step_on_one_node_reaches_a_stream_on_the_other(nodes, store_url):
    first, second = nodes
    session = sign_in(first)
    alert_id = f"TWO-NODES-{uuid.uuid4().hex[:6]}"
    engine = make_engine(store_url)
    try:
        write_alert(engine, alert_id, None)
    finally:
        engine.dispose()
    heard: list[str] = []
    connected = threading.Event()
    arrived = threading.Event()

    def listen() -> None:
        with session.get(f"{second.url}/live/alerts", stream=True, timeout=(10, 20)) as answer:
            assert answer.status_code == 200
            for line in answer.iter_lines(decode_unicode=True):
                connected.set()
                heard.append(line)
                if alert_id in line and '"action":"acknowledge"' in line:
                    arrived.set()
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert connected.wait(20), "the second node's stream did not answer"
    time.sleep(0.5)  # its bus subscription stands (the stream's first lines come before it)
    sent = time.monotonic()
    step = session.post(
        f"{first.url}/api/v1/alerts/{alert_id}/transitions",
        json={"action": "acknowledge", "version": 1},
        headers={"X-CSRFToken": session.cookies["_csrf_token"]},
        timeout=30,
    )
    assert step.status_code == 200, step.text[:300]
    assert arrived.wait(10), heard[-5:]
    took = time.monotonic() - sent
    assert took < OVER_REDIS_S, f"{took:.2f} s: it came from the store, not over Redis"
