"""The Open311 adapter over HTTP: a real server on loopback answering as GeoReport v2
servers do, and failing as they fail."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from data_sources.adapters.open311 import Open311Source
from data_sources.errors import SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from data_sources.monitor import SourceMonitor

OPEN311 = Path(__file__).resolve().parent.parent / "fixtures" / "open311"


OPEN311 = Path(__file__).resolve().parent.parent / "fixtures" / "open311"
CHICAGO = OPEN311 / "chicago_service_requests.json"
TORONTO = OPEN311 / "toronto_requests_many.xml"
DEFAULTS = {"default_case_type": "other"}


class Endpoint:
    """What the local server answers next: a status, a content type and a body; `hang` makes it
    wait (up to a few seconds) without answering, for timeouts."""

    def __init__(self) -> None:
        self.status = 200
        self.content_type = "application/json"
        self.body = CHICAGO.read_bytes()
        self.hang = threading.Event()
        self.release = threading.Event()
        self.paths: list[str] = []
        self.send_length = True  # False: no Content-Length, the body ends when the connection does
        self.repeat = 1  # the body is sent this many times over
        self.sent = 0  # bytes of body written before the client hung up or all was sent
        self.answered = threading.Event()


@pytest.fixture
def endpoint() -> Iterator[tuple[Endpoint, str]]:
    state = Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            state.paths.append(self.path)
            if state.hang.is_set():
                state.release.wait(5)
                return
            self.send_response(state.status)
            self.send_header("Content-Type", state.content_type)
            if state.send_length:
                self.send_header("Content-Length", str(len(state.body) * state.repeat))
            self.end_headers()
            try:
                for _ in range(state.repeat):
                    self.wfile.write(state.body)
                    state.sent += len(state.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading
            finally:
                state.answered.set()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/open311/v2/requests.json?status=open"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def from_url(url: str, **options) -> Open311Source:
    return Open311Source("open311-http", {"url": url, "timeout_s": 0.5, **DEFAULTS, **options})


def test_json_over_http(endpoint):
    state, url = endpoint
    src = from_url(url)
    src.open()
    try:
        assert list(src.fetch("cases")["id"]) == ["14-01100669", "14-01100627"]
    finally:
        src.close()
    assert state.paths == ["/open311/v2/requests.json?status=open"]


def test_xml_over_http_without_open_first(endpoint):
    state, url = endpoint
    state.body, state.content_type = TORONTO.read_bytes(), "text/xml"
    src = from_url(url)
    assert len(src.fetch("cases")) == 2
    src.close()


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_server_errors_are_unavailable(endpoint, status):
    state, url = endpoint
    state.status, state.body = status, b"busy"
    src = from_url(url)
    with pytest.raises(SourceUnavailable, match=str(status)):
        src.fetch("cases")
    src.close()


def test_client_errors_are_misconfigured_with_the_servers_description(endpoint):
    state, url = endpoint
    state.status = 400
    state.body = json.dumps([{"code": 400, "description": "jurisdiction_id not found"}]).encode()
    src = from_url(url)
    with pytest.raises(
        SourceMisconfigured, match="url: .* answered 400 Bad Request: jurisdiction_id not found"
    ):
        src.fetch("cases")
    state.status, state.body = (
        404,
        (b"<errors><error><code>404</code><description>no such path</description></error></errors>"),
    )
    with pytest.raises(SourceMisconfigured, match="404 Not Found: no such path"):
        src.fetch("cases")
    src.close()


def test_an_error_response_with_a_dtd_is_not_expanded_into_the_message(endpoint):
    state, url = endpoint
    state.status, state.content_type = 400, "text/xml"
    state.body = (
        '<!DOCTYPE e [<!ENTITY b "boom">]><errors><error><code>400</code>'
        "<description>&b;</description></error></errors>"
    ).encode("utf-16-le")
    src = from_url(url)
    with pytest.raises(SourceMisconfigured, match="answered 400 Bad Request") as refused:
        src.fetch("cases")
    src.close()
    assert "boom" not in str(refused.value)


def test_a_response_announcing_more_than_max_bytes_is_refused_unread(endpoint):
    state, url = endpoint
    size = len(state.body)
    src = from_url(url, max_bytes=size)
    assert len(src.fetch("cases")) == 2
    src.close()
    src = from_url(url, max_bytes=size - 1)
    with pytest.raises(
        SourceMisconfigured, match=rf"larger than max_bytes \({size - 1} bytes\).*announces {size}"
    ):
        src.fetch("cases")
    src.close()


def test_a_response_without_a_length_stops_being_read_past_max_bytes(endpoint):
    state, url = endpoint
    state.send_length = False
    state.body, state.repeat = b" " * 65536, 1024  # 64 MiB, as a query for a city's history might be
    src = from_url(url, max_bytes=2**20)
    with pytest.raises(
        SourceMisconfigured, match=r"larger than max_bytes \(1048576 bytes\); narrow the query"
    ):
        src.fetch("cases")
    src.close()
    assert state.answered.wait(5)
    # what the kernel's socket buffers took in, not the 64 MiB: the client hung up early
    assert state.sent < len(state.body) * state.repeat / 2


def test_a_refused_connection_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = from_url(f"http://127.0.0.1:{port}/requests.json")
    with pytest.raises(SourceUnavailable, match="ConnectionError"):
        src.fetch("cases")
    src.close()


def test_a_server_that_does_not_answer_in_time_is_unavailable(endpoint):
    state, url = endpoint
    state.hang.set()
    src = from_url(url, timeout_s=0.2)
    with pytest.raises(SourceUnavailable, match="Timeout"):
        src.fetch("cases")
    src.close()


def test_the_monitor_marks_a_failing_endpoint_down_and_recovers(endpoint):
    state, url = endpoint
    book = HealthBook()
    monitor = SourceMonitor(from_url(url), book)
    assert monitor.read("cases").health.status == "ok"
    state.status = 503
    for _ in range(3):
        snapshot = monitor.read("cases")
    assert snapshot.health.status == "down" and snapshot.stale and len(snapshot.frame) == 2
    state.status = 200
    assert monitor.read("cases").health.status == "ok"
    monitor.close()
