"""Request ids and JSON log lines (ops/request_id.py, ops/logs.py): an incoming X-Request-ID is
kept only when it is short and safe, every response carries the id, and in json mode every line
emitted while serving a request — the access line and any other — is a JSON object with it."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from types import SimpleNamespace

import pytest
from apps import build_app
from ops_apps import copied_app
from signin import signed_in

from ops.logs import configure_logging
from ops.request_id import MAX_LENGTH, accepted_id
from services.context import KEY

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "sent",
    [
        "abc\r\nSet-Cookie: onescreen_session=stolen",  # header injection
        'abc\n{"level": "CRITICAL"}',  # a forged log line
        "x" * 10_000,  # 10 kB
        "x" * (MAX_LENGTH + 1),
        "",
        "id with spaces",
        "编号-1",
        None,
    ],
)
def test_an_unsafe_or_missing_request_id_is_replaced_by_a_new_one(sent):
    assert NEW_ID.fullmatch(accepted_id(sent))


@pytest.mark.parametrize("sent", ["abc-123", "0f" * 16, "lb:7f3a.42_x", "x" * MAX_LENGTH])
def test_a_safe_request_id_is_kept(sent):
    assert accepted_id(sent) == sent


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("ops-logs"))


@pytest.fixture(scope="module")
def json_app(app, tmp_path_factory):
    return copied_app(app, tmp_path_factory.mktemp("ops-logs-json"), log_format="json")


@pytest.fixture
def log_lines():
    """What the process logs while the test runs, configured as a serving process would be;
    the logging set-up before it is restored afterwards."""

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    root, werkzeug = logging.getLogger(), logging.getLogger("werkzeug")
    levels = root.level, werkzeug.level
    stream = io.StringIO()
    handlers = []

    def configure(app):
        handlers.append(configure_logging(app.server.extensions[KEY].settings, stream))
        return read

    yield configure
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(levels[0])
    werkzeug.setLevel(levels[1])


def test_every_response_carries_its_request_id(app):
    client = app.server.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42"}).headers["X-Request-ID"] == "lb-42"
    first, second = (client.get("/login").headers["X-Request-ID"] for _ in range(2))
    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second) and first != second


def test_a_malicious_request_id_is_replaced_in_the_response(app):
    client = app.server.test_client()
    injected = client.get("/healthz", environ_base={"HTTP_X_REQUEST_ID": "abc\r\nSet-Cookie: x=1"})
    assert NEW_ID.fullmatch(injected.headers["X-Request-ID"])
    assert "Set-Cookie" not in injected.headers
    huge = client.get("/healthz", headers={"X-Request-ID": "a" * 10_240})
    assert NEW_ID.fullmatch(huge.headers["X-Request-ID"])


def test_json_lines_carry_the_request_id_of_the_response(json_app, log_lines):
    read = log_lines(json_app)
    client, _ = signed_in(json_app, "viewer")
    response = client.get("/api/v1/audit", headers={"X-Request-ID": "trace-7"})  # not a viewer's
    assert response.status_code == 403 and response.headers["X-Request-ID"] == "trace-7"
    mine = [line for line in read() if line["request_id"] == "trace-7"]
    access = [line for line in mine if line["logger"] == "onescreen.access"]
    assert len(access) == 1
    assert {k: access[0][k] for k in ("method", "path", "status", "level")} == {
        "method": "GET",
        "path": "/api/v1/audit",
        "status": 403,
        "level": "INFO",
    }
    assert isinstance(access[0]["duration_ms"], float) and access[0]["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", access[0]["time"])
    # the refusal is audited, and the audit's own log line belongs to the same request
    assert any(line["logger"] == "security.audit" and "access.denied" in line["message"] for line in mine)


def test_a_replaced_request_id_is_the_one_logged(json_app, log_lines):
    read = log_lines(json_app)
    response = json_app.server.test_client().get("/healthz", headers={"X-Request-ID": "bad\tid"})
    given = response.headers["X-Request-ID"]
    (access,) = [line for line in read() if line["logger"] == "onescreen.access"]
    assert access["request_id"] == given and NEW_ID.fullmatch(given)


def test_lines_outside_a_request_have_no_id_and_text_mode_writes_no_access_line(app, log_lines):
    stream = io.StringIO()
    handler = configure_logging(app.server.extensions[KEY].settings, stream)  # text: the default
    try:
        logging.getLogger("onescreen.test").warning("outside any request")
        app.server.test_client().get("/healthz")
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert "WARNING onescreen.test: outside any request" in text
    assert "onescreen.access" not in text  # gunicorn's or the development server's access log says it
    log_lines(app)  # restores the levels configure_logging set


def test_the_process_handler_follows_stderr_when_it_is_swapped_and_never_writes_to_a_closed_one(
    monkeypatch, capsys
):
    """A serving process's handler writes to sys.stderr as it is now: a test's capture (or a
    supervisor's pipe) swapped in and closed afterwards must not leave "Logging error" behind."""
    root, werkzeug = logging.getLogger(), logging.getLogger("werkzeug")
    levels = root.level, werkzeug.level
    handler = configure_logging(SimpleNamespace(log_format="text"))
    try:
        first = io.StringIO()
        monkeypatch.setattr(sys, "stderr", first)
        logging.getLogger("onescreen.test").warning("into the first")
        first.close()
        second = io.StringIO()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("onescreen.test").warning("into the second")
        assert "into the second" in second.getvalue() and "Logging error" not in second.getvalue()
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        werkzeug.setLevel(levels[1])
