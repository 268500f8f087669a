"""A government data-sharing platform (数据共享交换平台) on loopback for tests: a token endpoint and
paged data endpoints in its JSON envelope ({"code": 0, "msg": "成功", "data": {"list": [...],
"total": N}}), rows filtered by an update-time parameter, and faults the test sets: the whole platform down, a page that
answers 500 a number of times, a page whose body is not JSON or whose list is not a list, and
tokens that expire after a number of data requests. It records every request it was sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APP_KEY, APP_SECRET = "onescreen", "s3cret"
TOKEN_PATH = "/gateway/auth/token"
PATHS = {
    "chains": "/gateway/api/cyl/hjxx",
    "enterprises": "/gateway/api/qy/jbxx",
    "enterprise_figures": "/gateway/api/qy/ndsj",
}


@dataclass
class Asked:
    """One request the platform was sent: its path, query, the token header and the JSON body."""

    method: str
    path: str
    query: dict[str, str]
    token: str | None
    body: Any = None


@dataclass
class Platform:
    """What the platform holds and how it misbehaves; tests change it between syncs."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in PATHS})
    # (resource, page number) → statuses to answer before the page is served, consumed in order
    failures: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    # (resource, page number) → a body to send instead of the page, every time
    bodies: dict[tuple[str, int], bytes] = field(default_factory=dict)
    # a token is refused (401) once it has been used for this many data requests
    token_uses: int | None = None
    # refuse an expired token with HTTP 200 and this JSON code instead of HTTP 401
    expired_code: int | None = None
    down: bool = False  # answer 503 to everything (the contract suite's "source gone")
    tokens_issued: int = 0
    asked: list[Asked] = field(default_factory=list)
    _uses: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def data_requests(self, resource: str) -> list[Asked]:
        return [a for a in self.asked if a.path == PATHS[resource]]

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        token = headers.get("X-Access-Token")
        parsed = json.loads(body) if body else None
        with self._lock:
            self.asked.append(Asked(method, parts.path, query, token, parsed))
            if self.down:
                return 503, b"<html>service unavailable</html>"
            if parts.path == TOKEN_PATH and method == "POST":
                return self._token(parsed)
            resource = next((k for k, p in PATHS.items() if p == parts.path), None)
            if resource is None or method != "GET":
                return 404, _envelope(404, "not found")
            number = int(query.get("pageNum", "1"))
            pending = self.failures.get((resource, number))
            if pending:
                status = pending.pop(0)
                return status, b"<html>upstream error</html>"
            if token is None or token not in self._uses:
                return 401, _envelope(401, "token missing or unknown")
            if self.token_uses is not None and self._uses[token] >= self.token_uses:
                if self.expired_code is not None:
                    return 200, _envelope(self.expired_code, "token 已过期")
                return 401, _envelope(401, "token expired")
            self._uses[token] += 1
            if (resource, number) in self.bodies:
                return 200, self.bodies[(resource, number)]
            return 200, self._page(resource, number, int(query.get("pageSize", "100")), query.get("gxsjq"))

    def _token(self, body: Any) -> tuple[int, bytes]:
        if not isinstance(body, dict) or (body.get("appKey"), body.get("appSecret")) != (APP_KEY, APP_SECRET):
            return 403, _envelope(403, "appKey 或 appSecret 错误")
        self.tokens_issued += 1
        token = f"T{self.tokens_issued}"
        self._uses[token] = 0
        return 200, json.dumps({"token": token, "expires_in": 7200}).encode()

    def _page(self, resource: str, number: int, size: int, since: str | None) -> bytes:
        # times are "YYYY-MM-DD HH:MM:SS" in the platform's zone: as text they sort as times
        rows = [r for r in self.rows[resource] if since is None or str(r.get("gxsj", "")) >= since]
        start = (number - 1) * size
        data = {"list": rows[start : start + size], "total": len(rows), "pageNum": number}
        return json.dumps({"code": 0, "msg": "成功", "data": data}, ensure_ascii=False).encode()


def _envelope(code: int, message: str) -> bytes:
    return json.dumps({"code": code, "msg": message, "data": None}, ensure_ascii=False).encode()


@contextmanager
def running_platform() -> Iterator[tuple[Platform, str]]:
    """The platform's state and its base URL (http://127.0.0.1:PORT/gateway), until the block ends."""
    platform = Platform()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = platform.answer(self.command, self.path, self.headers, self.rfile.read(length))
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _serve  # noqa: N815 - http.server's naming
        do_POST = _serve  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield platform, f"http://127.0.0.1:{server.server_address[1]}/gateway"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
