"""/metrics in the Prometheus text format (prometheus-client), and the figures behind it.

Counted in every serving process as requests go (request_observed, CountingCache, live streams):
  onescreen_http_requests_total{method, kind, status}       kind: see KINDS
  onescreen_http_request_duration_seconds{kind}             pages, the API, assets, … (not callbacks)
  onescreen_dash_callback_duration_seconds{output}          /_dash-update-component, by callback output
  onescreen_cache_requests_total{cache, result}              cache: figure (services/figure_cache.py) or
                                                             read (other flask-caching reads); hit|miss
  onescreen_live_clients{stream}                            open event streams: alerts | embed
Read from the store when scraped (ops/store_metrics.py): feeds' readings and lag, sources' states,
alerts by state.

Under gunicorn with several workers each worker writes its figures to PROMETHEUS_MULTIPROC_DIR
(ops/multiproc.py) and a scrape, answered by any worker, sums them all (prometheus-client's
multiprocess mode); one process without the folder answers its own figures.

Who may read it: an address in the metrics_allow networks (default loopback), as the request's
address is known after the proxy_count trusted proxies (werkzeug's ProxyFix, security/setup.py),
so a forged X-Forwarded-For is not believed; or a bearer API token whose role may view the
sources' health (view_sources: leaders and duty officers; tokens are never issued for the
admin role, security/tokens.py). Anything else: 403."""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from config.settings import Settings
from ops.store_metrics import StoreCollector
from security import tokens
from security.roles import Permission
from security.session import bearer_token
from services.cache import cache

METRICS_PATH = "/metrics"
CALLBACK_PATH = "/_dash-update-component"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
STATE_KEY = "onescreen.metrics"
OUTPUT_MAX = 200  # a callback output's label: several outputs' names joined can be long
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# (path prefix, kind), first match wins; kinds are a fixed set so the label stays bounded
KINDS = (
    (CALLBACK_PATH, "callback"),
    ("/_dash-component-suites/", "asset"),
    ("/_dash-", "dash"),
    ("/assets/", "asset"),
    ("/api/", "api"),
    ("/open311/", "api"),
    ("/live/", "live"),
    ("/embed/_live/", "live"),
    ("/embed/", "embed"),
    ("/healthz", "ops"),
    ("/readyz", "ops"),
    ("/metrics", "ops"),
)

REQUESTS = Counter(
    "onescreen_http_requests", "HTTP requests answered, by method, kind of address and status",
    ["method", "kind", "status"],
)  # fmt: skip
REQUEST_SECONDS = Histogram(
    "onescreen_http_request_duration_seconds",
    "Time to answer a request (to its first byte), by kind",
    ["kind"],
)
CALLBACK_SECONDS = Histogram(
    "onescreen_dash_callback_duration_seconds", "Time to answer a Dash callback, by its output", ["output"]
)
CACHE_REQUESTS = Counter(
    "onescreen_cache_requests", "Cache reads: figure (figure cache) or read (others); hit or miss",
    ["cache", "result"],
)  # fmt: skip
LIVE_CLIENTS = Gauge(
    "onescreen_live_clients", "Open live event streams (server-sent events)", ["stream"],
    multiprocess_mode="livesum",  # the workers alive now, summed
)  # fmt: skip

blueprint = Blueprint("ops_metrics", __name__)


def kind_of(path: str) -> str:
    for prefix, kind in KINDS:
        if path.startswith(prefix):
            return kind
    return "page"


def callback_output(body: Any, callback_map: dict) -> str:
    """The callback's output as the label: one the app declares (a bounded set), else "unknown"
    (a request naming anything else must not create a time series)."""
    output = body.get("output") if isinstance(body, dict) else None
    if isinstance(output, str) and output in callback_map:
        return output[:OUTPUT_MAX]
    return "unknown"


def request_observed(response: Response, duration_s: float, callback_map: dict) -> None:
    """Count the request being answered with `response` (an after_request step)."""
    kind = kind_of(request.path)
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(method, kind, str(response.status_code)).inc()
    if kind == "callback":
        output = callback_output(request.get_json(silent=True), callback_map)
        CALLBACK_SECONDS.labels(output).observe(duration_s)
    else:
        REQUEST_SECONDS.labels(kind).observe(duration_s)
    if response.mimetype == "text/event-stream" and response.status_code == 200:
        clients = LIVE_CLIENTS.labels("embed" if request.path.startswith("/embed/") else "alerts")
        clients.inc()
        response.call_on_close(clients.dec)  # the browser left, or the stream ended


class CountingCache:
    """The app's flask-caching backend, counting its reads as hits or misses. Everything else
    passes through. The figure cache (services/figure_cache.py) keys its entries with the data
    versions joined by "|"; other reads (departments, grid cells, hot spots) have plain keys."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def get(self, key: str) -> Any:
        value = self._backend.get(key)
        CACHE_REQUESTS.labels("figure" if "|" in key else "read", "miss" if value is None else "hit").inc()
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def _count_cache_reads(server: Flask) -> None:
    backends = server.extensions["cache"]
    if not isinstance(backends[cache], CountingCache):
        backends[cache] = CountingCache(backends[cache])


class _ThisProcess:
    """The default registry's metrics, for a process serving alone (no multiprocess folder)."""

    def collect(self):
        return REGISTRY.collect()


def exposition(store: StoreCollector) -> bytes:
    """The text a scrape receives: the request figures (summed over the workers in multiprocess
    mode) and the store's, read now or within the store collector's few seconds."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(store)
    return generate_latest(registry)


def _in_networks(address: str | None, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack socket is 127.0.0.1
    return any(ip in network for network in networks)


def _token_may_read(engine: Any) -> bool:
    token = bearer_token(request)
    if token is None:
        return False
    principal = tokens.resolve(engine, token, now=datetime.now(UTC), ip=request.remote_addr)
    return principal is not None and principal.can(Permission.VIEW_SOURCES)


def operator_request() -> bool:
    """The request comes from the networks in metrics_allow (the address the trusted proxies
    saw) or carries a token that may view the sources' health: /metrics, and /readyz's reasons."""
    state = current_app.extensions[STATE_KEY]
    # The address first: a scraper on an allowed network costs no token lookup.
    return _in_networks(request.remote_addr, state["networks"]) or _token_may_read(state["engine"])


@blueprint.get(METRICS_PATH)
def metrics() -> Response:
    state = current_app.extensions[STATE_KEY]
    # A refusal is not audited: a scraper configured wrongly asks every 15 s and would flood the
    # audit log.
    if not operator_request():
        refused = jsonify(
            error="forbidden",
            message="/metrics is read from the networks in the metrics_allow setting or with an API token "
            "that may view the sources' health",
        )
        refused.status_code = 403
        refused.headers["Cache-Control"] = "no-store"
        return refused
    response = Response(exposition(state["store"]), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_metrics(server: Flask, settings: Settings, engine: Any) -> None:
    server.extensions[STATE_KEY] = {
        "networks": [ipaddress.ip_network(n) for n in settings.metrics_allow],
        "engine": engine,
        "store": StoreCollector(server),
    }
    _count_cache_reads(server)
    server.register_blueprint(blueprint)
