"""OneScreen: `create_app(settings)` builds the WSGI app (Flask, with Dash mounted on it).

`flask --app app COMMAND` runs the CLI (cli.py); `gunicorn "app:create_app()"` serves it;
`python app.py` serves it with Flask's development server."""

from __future__ import annotations

import logging
import sys

import dash
from dash import Dash, Input
from dash.exceptions import DependencyException
from flask import Flask, Response, redirect, request

from api import init_api
from components import screen_scripts  # noqa: F401  (Dash's index hook: walls go without admin bundles)
from components.embed_app import init_embed_app
from components.shell import make_shell
from components.shell import register_callbacks as register_shell_callbacks
from compression import init_compression
from config.settings import ROOT, Settings, SettingsError, load_settings
from data_sources.errors import SourceMisconfigured
from data_sources.sql_health import SqlHealthBook
from domain.alert_rules import RuleBookError
from domain.chain_analysis import RulesError
from domain.kpis import KpiSpecError
from domain.map_layers import LayerSpecError
from domain.policy_book import PolicyError
from domain.screens import LayoutError
from live.case_simulator import start_simulator
from live.case_sync import start_syncers
from live.stream import init_live
from live.worker import start_worker
from ops.logs import configure_logging
from ops.setup import init_ops
from security.guard import page_for
from security.setup import init_security
from services.alert_book import checked_rule_book, install_rule_book
from services.build_id import init_build_id
from services.cache import init_cache
from services.chains import load_rules
from services.context import KEY, Services
from services.data import SnapshotCache, prefetch
from services.kpis import specs
from services.map_catalogue import load_layers
from services.policies import load_policies
from services.screens import load_screens
from services.sources import SourceManager, read_sources_file
from services.store_setup import prepare_store, store_contents

log = logging.getLogger("onescreen")


def build_dash(settings: Settings | None = None, *, seed: bool = True) -> Dash:
    """Build the Dash app: store migrated (and seeded with the demo park when empty in the
    embedded profile), sources configured, pages registered, the alert rules loaded.
    Raises SettingsError, SourceMisconfigured, KpiSpecError, LayerSpecError, RulesError, PolicyError, LayoutError or RuleBookError on bad
    configuration, before serving anything."""
    settings = settings or load_settings()
    sources_config = read_sources_file(settings.sources_file, settings)  # configuration first: fail fast
    specs()  # the KPI file too
    load_layers(settings.map_layers_file, sources=set(sources_config.sources))  # and the map's layers
    load_rules(settings.chain_rules_file)  # and when a chain link counts as weak
    load_policies(settings.policies_file)  # and the support policies: a malformed one names itself
    load_screens(settings.screens_file, settings.map_layers_file)  # and the wall's screen layouts
    alert_rules = checked_rule_book()  # and the alert rules: a malformed one names itself
    engine = prepare_store(settings, seed=seed)
    sources = SourceManager(sources_config, SqlHealthBook(engine))
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        assets_path_ignore=["vendor"],  # served on request only (assets/01-plotly-basic.js)
        serve_locally=True,
        external_stylesheets=[],
        title="OneScreen",
        update_title=None,
        suppress_callback_exceptions=True,
        routing_callback_inputs={"lang": Input("shell-lang", "value")},
    )
    server: Flask = app.server
    snapshots = SnapshotCache(sources, settings.cache_timeout_s)
    server.extensions[KEY] = Services(settings=settings, engine=engine, sources=sources, snapshots=snapshots)
    init_cache(server, settings)
    init_security(server, app, settings, engine)
    install_rule_book(server, alert_rules)
    init_api(server)
    init_embed_app(server)  # /embed/<token>: one panel for another portal's iframe
    init_live(server, settings)  # the alerts' bus (extensions["onescreen.bus"]) and /live/alerts
    init_compression(server)
    init_ops(app, settings)  # /healthz, /readyz, /metrics, request ids and access lines (ops/)
    init_build_id(server, ROOT / "assets", settings.build_label)  # open pages reload after a redeploy
    app.layout = lambda: make_shell(settings, dash.page_registry)
    register_shell_callbacks(app)
    from cli import register_commands

    register_commands(server)
    server.after_request(_missing_page_is_404)
    # browsers ask for /favicon.ico on their own; Dash serves its icon at /_favicon.ico only
    server.add_url_rule("/favicon.ico", "favicon", lambda: redirect("/_favicon.ico", code=301))
    # Dash raises this for a script path naming a library it does not serve: a 500 otherwise
    server.register_error_handler(DependencyException, lambda _error: ("not found", 404))
    _warm_up(server)
    return app


CATCH_ALL = "/<path:path>"  # the endpoint Dash's Flask backend serves every other address on


def _missing_page_is_404(response: Response) -> Response:
    """An address no page answers still gets Dash's index (its router draws the translated "no
    such page"), but with status 404, so links checkers, proxies and monitors see it missing."""
    if request.endpoint == CATCH_ALL and response.status_code == 200 and page_for(request.path) is None:
        response.status_code = 404
    return response


def _warm_up(server: Flask) -> None:
    # Dash sets itself up on the first request; under threaded workers two simultaneous first
    # requests raced into "Callback function not found" (FIELD_NOTES.md). Do it once now. (The
    # guard answers these anonymous requests 401, after Dash's own set-up hook has run.)
    with server.test_client() as client:
        client.get("/_dash-layout")
        client.get("/_dash-dependencies")
        # the embed app (components/embed_app.py) sets itself up on a request the guard lets
        # through to it: the main app's above were refused before its hook ran
        client.get("/embed/_dash-layout")


# The small contracts panels still read as snapshots (sensors for the alert desk and the worker,
# the map's layers of features, sensors and enterprises by chain, the last day of readings);
# KPIs and case figures are queries in the store.
SNAPSHOT_PANELS = ["sensors", "features", "enterprises", "chains", "readings"]


def start_background(server: Flask) -> None:
    """What a serving process starts besides answering requests (not the CLI): read the
    contracts the panels use once, so the first visitor does not wait, on the embedded
    demo park the simulator that keeps it live, and the syncs of foreign case tables
    (live/case_sync.py). Called by main() and by gunicorn's post_worker_init hook
    (config/gunicorn.conf.py)."""
    prefetch(server, SNAPSHOT_PANELS)
    start_simulator(server, store_contents(server.extensions[KEY].engine, count=False).park)
    start_worker(server)
    start_syncers(server)


def serving_banner(server: Flask, addresses: list[str]) -> str:
    """The line a person starting OneScreen looks for: where it is served and how to sign in."""
    from security.users import demo_users

    urls = ", ".join(f"http://{a}" for a in addresses)
    demo = [row["username"] for row in demo_users(server.extensions[KEY].engine)]
    how = f"sign in with a demo user on the sign-in page ({', '.join(demo)})" if demo else "sign in"
    return f"OneScreen is serving {urls} — {how}"


def create_app(settings: Settings | None = None) -> Flask:
    """The WSGI application (the Flask server Dash is mounted on)."""
    return build_dash(settings).server


def main() -> int:
    try:
        settings = load_settings()
        configure_logging(settings)  # text or JSON lines (the log_format setting)
        server = create_app(settings)
    except (
        SettingsError,
        SourceMisconfigured,
        KpiSpecError,
        LayerSpecError,
        RulesError,
        PolicyError,
        LayoutError,
        RuleBookError,
    ) as exc:
        # a configuration mistake is told in one line naming the key, not as a traceback
        print(f"onescreen: {exc}", file=sys.stderr)
        return 2
    start_background(server)
    print(serving_banner(server, [f"{settings.host}:{settings.port}"]), flush=True)
    server.run(host=settings.host, port=settings.port, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
