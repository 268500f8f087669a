"""Each request's id: the caller's X-Request-ID when it is a safe, short token (a load balancer
or another service tracing a call through several), else a new one; returned in the response's
X-Request-ID and put on every log line emitted while the request is served (RequestIdFilter).

The id is held in a context variable, so a log line from any module in the request's thread
carries it without passing it around; outside a request the field is None."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token

from flask import g

HEADER = "X-Request-ID"
MAX_LENGTH = 128
# Letters, digits and - _ . : only: an id lands in logs and headers, where a newline could forge a
# line or a header and other characters could confuse whoever reads the log.
SAFE_ID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")

_current: ContextVar[str | None] = ContextVar("onescreen_request_id", default=None)


def accepted_id(sent: str | None) -> str:
    """`sent` when it is a safe id, else a new one (a uuid4's 32 hex digits)."""
    if sent is not None and SAFE_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being served in this context, or None outside one."""
    return _current.get()


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record it sees (None outside a request). Attached to a handler,
    so it marks the lines of every logger that propagate to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True


def begin_request(sent: str | None) -> str:
    """Take the request's id from what it `sent` and make it current until end_request()."""
    request_id = accepted_id(sent)
    g.request_id = request_id
    g.request_id_token = _current.set(request_id)
    return request_id


def end_request() -> None:
    token: Token | None = g.pop("request_id_token", None)
    if token is not None:  # None: the request failed before begin_request ran
        _current.reset(token)
