"""Responses go out compressed (brotli, else gzip) when the browser accepts it: the bundles, kept
compressed once; per-visitor responses compressed afresh, never served to another; the live
event stream and the map's pre-gzipped layers left as they are."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest
from apps import build_app
from signin import signed_in

from compression import NOT_KEPT, _StaticOnly


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("compress"), demo_cases=300, demo_live=False)


@pytest.fixture(scope="module")
def leader(app):
    return signed_in(app, "leader")[0]


def _bundle(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return max(re.findall(r'src="(/_dash-component-suites/[^"]+\.js[^"]*)"', page), key=len)


def test_a_bundle_goes_out_in_brotli_or_gzip_and_the_same_bytes_each_time(leader):
    path = _bundle(leader)
    raw = leader.get(path).get_data()
    br = leader.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.get_data()) == raw
    assert len(br.get_data()) < len(raw) / 2
    again = leader.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert again.get_data() == br.get_data()  # kept, not compressed again
    gz = leader.get(path, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.get_data()) == raw
    plain = leader.get(path)
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]


def test_the_apps_own_stylesheets_go_out_compressed(leader):
    page = leader.get("/").get_data(as_text=True)
    path = re.search(r'href="(/assets/00-bootstrap\.min\.css[^"]*)"', page).group(1)
    raw = leader.get(path).get_data()
    br = leader.get(path, headers={"Accept-Encoding": "br"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.get_data()) == raw


def test_the_map_layers_own_gzip_passes_as_it_is(leader):
    response = leader.get("/api/v1/map/layers/grid_cells", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()).startswith(b'{"type":"FeatureCollection"')


def test_the_live_event_stream_is_never_compressed(leader):
    response = leader.get(
        "/live/alerts", headers={"Accept-Encoding": "br, gzip", "Accept": "text/event-stream"}
    )
    try:
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        assert "Content-Encoding" not in response.headers
    finally:
        response.close()


def test_per_visitor_responses_are_never_kept():
    cache = _StaticOnly()
    cache.set(f"br;{NOT_KEPT}", b"someone's page")
    assert cache.get(f"br;{NOT_KEPT}") is None
    cache.set("br;/_dash-component-suites/dash/x.js?v=1", b"bundle")
    assert cache.get("br;/_dash-component-suites/dash/x.js?v=1") == b"bundle"
