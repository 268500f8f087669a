"""The JSON API (/api/v1) and the Open311 endpoints (/open311/v2) on the app's Flask server, and
their OpenAPI document, generated from the code by flask-smorest and served as JSON only at
/api/v1/openapi.json (DESIGN.md, "One API"). No Swagger UI or ReDoc page: both load their
scripts from CDNs, and the app makes no off-origin requests."""

from __future__ import annotations

import flask_smorest
from flask import Flask, abort

from api import alerts as _alerts  # noqa: F401 - adds its routes to api.v1's blueprint
from api import audit as _audit  # noqa: F401 - adds its routes to api.v1's blueprint
from api import case_hotspots as _case_hotspots  # noqa: F401 - adds its routes to api.v1's blueprint
from api import case_transitions as _case_transitions  # noqa: F401 - adds its routes to api.v1's blueprint
from api import cases as _cases  # noqa: F401 - adds its routes to api.v1's blueprint
from api import chains as _chains  # noqa: F401 - adds its routes to api.v1's blueprint
from api import enterprises as _enterprises  # noqa: F401 - adds its routes to api.v1's blueprint
from api import kpis as _kpis  # noqa: F401 - adds its routes to api.v1's blueprint
from api import map_layers as _map_layers  # noqa: F401 - adds its routes to api.v1's blueprint
from api import map_search as _map_search  # noqa: F401 - adds its routes to api.v1's blueprint
from api import open311_report as _open311_report  # noqa: F401 - adds POST requests to api.open311's
from api import policies as _policies  # noqa: F401 - adds its routes to api.v1's blueprint
from api.base import ErrorSchema
from api.open311 import blp as open311_blueprint
from api.v1 import blp as v1_blueprint
from security.guard import ANYONE, requires
from security.session import SESSION_COOKIE, TOKEN_PATHS

SPEC_ENDPOINT = "api-docs.openapi_json"  # flask-smorest's name for the document's route


class _Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema  # the error body documented is the one answered

    def _register_error_handlers(self) -> None:
        """Nothing: flask-smorest's app-wide HTTPException handler would replace security.setup's
        (JSON for scripts, the translated 403 page for people). The API's blueprints have their own."""


def init_api(server: Flask) -> flask_smorest.Api:
    """Register the API's blueprints and the OpenAPI document on `server` (before its first request)."""
    server.config.update(
        API_TITLE="OneScreen",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Send an API token as `Authorization: Bearer os_…` (an administrator "
                "issues one per client, for one role), or use a signed-in browser session. A "
                "department head's session or token reads their own department only."
            },
            "security": [{"token": []}, {"session": []}],
        },
    )
    api = _Api(server)
    api.spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE})
    api.register_blueprint(v1_blueprint)
    api.register_blueprint(open311_blueprint)
    # The document describes what exists, not what anyone may read: any principal who may enter.
    server.view_functions[SPEC_ENDPOINT] = requires(ANYONE)(server.view_functions[SPEC_ENDPOINT])
    # Any other address under these prefixes answers a JSON 404 (security.setup's error body);
    # without these rules Dash's catch-all route would answer it with the app's HTML page.
    for prefix in TOKEN_PATHS:
        server.add_url_rule(f"{prefix}<path:rest>", f"{prefix.strip('/')}_not_found", _not_found)
    return api


@requires(ANYONE)
def _not_found(rest: str) -> None:
    abort(404, "no such endpoint; the API's paths are listed in /api/v1/openapi.json")
