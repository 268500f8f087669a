"""Security headers on every response of the real app: a Content-Security-Policy without
'unsafe-inline' or 'unsafe-eval' for scripts (Dash's inline scripts are allowed by their hashes),
frame-ancestors and img-src from the settings, and the hardening headers."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from apps import build_app, clear_onescreen_env
from signin import signed_in

from config.settings import SettingsError, load_settings

PORTAL = "https://portal.example"
TILES = "https://tiles.park.local/{z}/{x}/{y}.png"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("headers")


@pytest.fixture(scope="module")
def env():
    """No ONESCREEN_* variable set, for the tests that load settings themselves."""
    with pytest.MonkeyPatch.context() as patch:
        clear_onescreen_env(patch)
        yield patch


@pytest.fixture(scope="module")
def app(data_dir):
    return build_app(data_dir, seed=False, demo_cases=300)


@pytest.fixture(scope="module")
def portal_app(data_dir):
    """The same store, framed by a portal and drawing tiles from an intranet tile server."""
    return build_app(data_dir, seed=False, demo_cases=300, frame_ancestors=[PORTAL], tile_url=TILES)


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no CSP on {response.request.path}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = values
    return directives


def _responses(app) -> dict[str, object]:
    """A page, the sign-in page, the layout, an asset, and what the guard answers strangers."""
    client, _ = signed_in(app, "leader")
    anonymous = app.server.test_client()
    responses = {
        "page": client.get("/"),
        "sources page": client.get("/sources"),
        "login": anonymous.get("/login"),
        "layout": client.get("/_dash-layout"),
        "asset": client.get("/assets/10-onescreen.css"),
        "anonymous page": anonymous.get("/sources"),
        "anonymous layout": anonymous.get("/_dash-layout"),
        "unknown API": anonymous.get("/api/nothing"),
    }
    for response in responses.values():
        response.get_data()
        response.close()  # the asset is a file being streamed
    return responses


def test_every_response_carries_a_strict_policy(app):
    hashes = list(app.csp_hashes())
    assert hashes, "Dash's inline scripts have hashes"
    responses = _responses(app)
    expected = {
        "page": 200,
        "sources page": 200,
        "login": 200,
        "layout": 200,
        "asset": 200,
        "anonymous page": 302,
        "anonymous layout": 401,
        "unknown API": 401,
    }
    assert {name: r.status_code for name, r in responses.items()} == expected
    for name, response in responses.items():
        csp = policy(response)
        scripts = csp["script-src"]
        assert "'unsafe-inline'" not in scripts, name
        assert "'unsafe-eval'" not in scripts, name
        assert "*" not in scripts and "data:" not in scripts, name
        assert set(hashes) <= set(scripts), name
        assert csp["default-src"] == ["'self'"], name
        assert csp["frame-ancestors"] == ["'none'"], name
        assert csp["object-src"] == ["'none'"], name
        assert csp["img-src"] == ["'self'", "data:"], name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name
        assert "Strict-Transport-Security" not in response.headers, name  # plain HTTP


def test_every_inline_script_of_the_page_is_allowed_by_its_hash(app):
    client, _ = signed_in(app, "leader")
    response = client.get("/")
    allowed = set(policy(response)["script-src"])
    html = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)  # e.g. Dash's IE notice
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S)
    executable = [body for attrs, body in inline if "application/json" not in attrs]
    assert executable, "the page has inline scripts (Dash's renderer start-up)"
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_the_sign_in_page_runs_no_inline_script(app):
    page = app.server.test_client().get("/login").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page)
    assert not re.search(r"\son[a-z]+\s*=", page, re.I)  # no inline event handler either


def test_frame_ancestors_and_tiles_follow_the_settings(portal_app):
    for name, response in _responses(portal_app).items():
        csp = policy(response)
        assert csp["frame-ancestors"] == [PORTAL], name
        assert "https://tiles.park.local" in csp["img-src"], name
        assert "'unsafe-inline'" not in csp["script-src"], name


def test_https_responses_ask_for_https_from_now_on(app):
    client = app.server.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "origin",
    [
        "portal.example",
        "https://portal.example/embed",
        "*",
        "https://*.example",
        "https://portal.example; script-src 'unsafe-inline'",
        "javascript:alert(1)",
        "'none' https://portal.example",
    ],
)
def test_settings_refuse_a_frame_ancestor_that_is_not_an_origin(env, origin):
    with pytest.raises(SettingsError, match="frame_ancestors"):
        load_settings(frame_ancestors=[origin])


@pytest.mark.parametrize("origin", [PORTAL, "http://portal.example:8080", "'self'"])
def test_settings_accept_origins(env, origin):
    assert load_settings(frame_ancestors=[origin]).frame_ancestors == [origin]
