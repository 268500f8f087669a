"""Log lines as text or as JSON (the log_format setting), and the access line of each request.

json: one JSON object a line (python-json-logger) with `time` (ISO 8601 UTC), `level`, `logger`,
`message` and `request_id` (ops/request_id.py: the id of the request being served, null outside
one); a request's access line (logger "onescreen.access") adds `method`, `path`, `status` and
`duration_ms`. Gunicorn's own access log is off in json mode (config/gunicorn.conf.py) and the
development server's (werkzeug) is quieted, so each request is logged once.
text: the lines as before (`time level logger: message`); the access line is left to gunicorn's
or the development server's own log, as before."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from config.settings import Settings
from ops.request_id import RequestIdFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "{asctime}{levelname}{name}{message}{request_id}"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
ACCESS_LOGGER = "onescreen.access"
HANDLER_NAME = "onescreen.ops"  # the handler configure_logging installs (replaced, never added twice)

access_log = logging.getLogger(ACCESS_LOGGER)


class UtcJsonFormatter(JsonFormatter):
    """JSON lines whose `time` is ISO 8601 in UTC with milliseconds (sortable, no local zone)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return UtcJsonFormatter(JSON_FIELDS, style="{", rename_fields=RENAMED)
    return logging.Formatter(TEXT_FORMAT)


class _StderrNow(logging.StreamHandler):
    """Writes to sys.stderr as it is when a line is written, not as it was when the handler was
    made: a process whose stderr is swapped (a supervisor, a test's capture that is closed
    afterwards) keeps logging instead of failing on a closed stream."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(settings: Settings, stream=None) -> logging.Handler:
    """Send the process's log lines (the root logger, INFO and up) to `stream` (stderr) in the
    settings' log_format, each marked with its request's id. For a serving process (app.main,
    gunicorn's master): not called by create_app, so building an app in a test or the CLI leaves
    logging as it is. Calling it again replaces its handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream) if stream is not None else _StderrNow()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(make_formatter(settings.log_format or "text"))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # werkzeug's own access lines would double ours as JSON objects without the request's fields
    logging.getLogger("werkzeug").setLevel(logging.WARNING if settings.log_format == "json" else logging.INFO)
    return handler


def log_access(method: str, path: str, status: int, duration_s: float) -> None:
    """The request's access line (json mode only: see the module's docstring)."""
    access_log.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={"method": method, "path": path, "status": status, "duration_ms": round(duration_s * 1000, 1)},
    )
