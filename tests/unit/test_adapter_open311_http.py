"""The Open311 adapter over HTTP: a real server on loopback answering as GeoReport v2
servers do, and failing as they fail."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from open311_server import Endpoint, running_endpoint

from data_sources.adapters.open311 import Open311Source
from data_sources.errors import SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from data_sources.monitor import SourceMonitor

OPEN311 = Path(__file__).resolve().parent.parent / "fixtures" / "open311"
CHICAGO = OPEN311 / "chicago_service_requests.json"
TORONTO = OPEN311 / "toronto_requests_many.xml"
DEFAULTS = {"default_case_type": "other"}


@pytest.fixture
def endpoint() -> Iterator[tuple[Endpoint, str]]:
    with running_endpoint() as served:
        yield served


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
