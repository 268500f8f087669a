"""The map over an intranet tile server (the tile_url setting): a real app process configured
with a tile server that a test thread serves on another port, in GCJ-02 (tile_crs). The page asks
that server for its tiles — the one origin besides the app's own — and nothing else off-origin;
the Content-Security-Policy lets its images in (a violation is a console error); and the layers
are fetched shifted into the tile server's system."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from servers import ROOT, free_port, wait_for_port
from test_pages import visit

# a 1x1 transparent PNG: what every tile of this server looks like
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
TILE = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


@pytest.fixture(scope="module")
def tiles():
    """A tile server on a free port, recording the paths asked of it."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            asked.append(self.path)
            self.send_response(200 if TILE.match(self.path) else 404)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def tiled_server(tiles, tmp_path_factory):
    origin, _asked = tiles
    data_dir = tmp_path_factory.mktemp("tiled")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    env.update(
        ONESCREEN_DATA_DIR=str(data_dir),
        ONESCREEN_PORT=str(port),
        ONESCREEN_DEMO_CASES="300",
        ONESCREEN_DEMO_LIVE="false",
        ONESCREEN_TILE_URL=origin + "/{z}/{x}/{y}.png",
        ONESCREEN_TILE_CRS="gcj02",
    )
    with open(data_dir / "server.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.mark.browser
def test_tiles_come_from_the_tile_server_only_and_layers_are_shifted_to_it(
    browser, tiles, tiled_server, shots_dir
):
    origin, asked = tiles
    layer_urls: list[str] = []
    with visit(
        browser, tiled_server + "/map", shots_dir, "map-tiles", ready=".os-map .leaflet-container"
    ) as v:
        v.page.on("request", lambda r: layer_urls.append(r.url) if "/api/v1/map/layers/" in r.url else None)
        v.page.wait_for_function(
            "() => document.querySelectorAll('.leaflet-tile-loaded').length > 0", timeout=15_000
        )
        v.page.evaluate(
            "() => document.querySelector('.leaflet-control-zoom-in').click()"
        )  # more layer fetches
        # the zoom reaches the address and the buildings (drawn from zoom 15) are fetched
        v.page.wait_for_function(
            "() => new URLSearchParams(location.search).get('z') === '15'", timeout=10_000
        )
        v.page.wait_for_function(
            "() => document.querySelectorAll('path.os-ml-buildings').length > 0", timeout=10_000
        )
        assert v.errors == []  # a tile refused by the policy would be a console error
        assert v.offsite and all(urlparse(u).netloc == urlparse(origin).netloc for u in v.offsite), v.offsite
    assert asked and all(TILE.match(path) for path in asked)
    zooms = {int(TILE.match(path).group(1)) for path in asked}
    assert zooms & {14, 15}  # the park's zoom, not a world view
    assert layer_urls and all(parse_qs(urlparse(u).query).get("crs") == ["gcj02"] for u in layer_urls)
