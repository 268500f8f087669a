"""A GeoReport v2 server on loopback for tests: it answers what the test sets (status, content
type, body), records the paths asked for, and can hang or stream without a length."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OPEN311 = Path(__file__).resolve().parent / "fixtures" / "open311"
CHICAGO = OPEN311 / "chicago_service_requests.json"


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


@contextmanager
def running_endpoint() -> Iterator[tuple[Endpoint, str]]:
    """The server's state and its requests.json URL (with ?status=open), until the block ends."""
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
