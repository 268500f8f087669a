"""Responses compressed on the way out (flask-compress: brotli, else gzip), so a screen's first
load is not Dash's bundles raw: the map page moved 6.9 MB, 2.2 MB of it the ag-grid bundle.

Streams are left alone: the live alerts' event stream must reach the browser event by event, and
a compressor buffers. Responses that carry their own encoding (the map's layers, gzipped once per
data version) pass as they are. The fingerprinted bundles and assets are the same bytes for every
visitor, so their compressed form is kept (in this process, at most MAX_KEPT of them); every
other response is compressed afresh, since its bytes differ by visitor and moment."""

from __future__ import annotations

import threading

from flask import Flask, Request, Response, request
from flask_compress import Compress

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
NOT_KEPT = "-"
MAX_KEPT = 512


def _key(request: Request) -> str:
    return request.full_path if request.path.startswith(STATIC_PREFIXES) else NOT_KEPT


class _StaticOnly:
    """flask-compress's cache: keeps what `_key` names, never the per-visitor responses."""

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return None if key.endswith(";" + NOT_KEPT) else self._kept.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + NOT_KEPT):
            return
        with self._lock:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()  # new bundle versions after an upgrade: start again
            self._kept[key] = value


def _assets_whole(response: Response) -> Response:
    """Flask sends an asset file as a stream, which the compressor leaves alone (streams stay
    uncompressed, for the events' sake): read a stylesheet or script whole first. Runs before the
    compressor (registered after it: Flask calls after-request functions last-registered first)."""
    if (
        request.path.startswith("/assets/")
        and response.status_code == 200
        and response.is_streamed
        and response.mimetype in ("text/css", "text/javascript", "application/javascript", "application/json")
    ):
        response.direct_passthrough = False
        streamed = response.response
        response.set_data(response.get_data())
        if hasattr(streamed, "close"):
            streamed.close()  # the file it streamed from
    return response


def init_compression(server: Flask) -> None:
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_STREAMS=False,
        COMPRESS_CACHE_KEY=_key,
        COMPRESS_CACHE_BACKEND=_StaticOnly,
    )
    Compress(server)
    server.after_request(_assets_whole)
