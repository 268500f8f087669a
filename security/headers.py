"""Security headers on every response: a Content-Security-Policy that allows the app's own
origin (and the configured tile server) only, with no 'unsafe-inline' for scripts (Dash's own
inline scripts are allowed by their hashes), frame-ancestors from the frame_ancestors setting,
and the usual hardening headers. Measured policy: FIELD_NOTES.md."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Response, request

from config.settings import Settings
from security.web_context import state


def tile_origin(tile_url: str | None) -> str | None:
    """The tile server's origin for the policy; a subdomain template ({s}.tiles.park) becomes a
    wildcard (*.tiles.park)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    host = re.sub(r"^\{[a-z]+\}\.", "*.", parts.netloc)
    if parts.scheme not in ("http", "https") or not re.fullmatch(r"(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?", host):
        return None  # settings refuse such a URL; never let it write into the policy
    return f"{parts.scheme}://{host}"


def build_policy(settings: Settings, script_hashes: list[str], *, embed: bool = False) -> str:
    """The policy; `embed`: for /embed/ (an embedded panel), framed by embed_frame_ancestors."""
    # the tile server and the WMS are the one or two origins beyond the app's own (images only)
    tiles = " ".join(
        dict.fromkeys(o for o in (tile_origin(settings.tile_url), tile_origin(settings.wms_url)) if o)
    )
    framers = settings.embed_frame_ancestors if embed else settings.frame_ancestors
    ancestors = " ".join(framers) if framers else "'none'"
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),  # csp_hashes() gives them quoted
        # ag-grid, dcc, leaflet and plotly inject styles at run time (FIELD_NOTES.md)
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(["'self'", "data:", *([tiles] if tiles else [])]),
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def add_headers(response: Response) -> Response:
    security = state()
    if security.csp is None:  # Dash registers its inline scripts while it sets itself up
        security.csp = build_policy(security.settings, list(security.dash_app.csp_hashes()))
    headers = response.headers
    headers["Content-Security-Policy"] = security.csp
    if request.path.startswith("/embed/"):
        if security.embed_csp is None:
            security.embed_csp = build_policy(
                security.settings, list(security.dash_app.csp_hashes()), embed=True
            )
        headers["Content-Security-Policy"] = security.embed_csp
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    # records, the sign-out form's CSRF token and API tokens stay out of caches (assets may be cached)
    path = request.path
    private = path.startswith(("/_dash-", "/api/", "/open311/", "/login")) or response.mimetype == "text/html"
    if private and not path.startswith(("/_dash-component-suites/", "/assets/")):
        headers["Cache-Control"] = "no-store"
    return response
