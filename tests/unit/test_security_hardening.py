"""Holes a review found, each closed: a published session key, one-click sign-in through a
proxy, anonymous record rights, malformed callback bodies, passwords typed as usernames, the
sign-in link's return address, unlock ending sessions, admin API tokens."""

from __future__ import annotations

import json
import stat
import time

import pytest
from apps import build_app
from dash_calls import call, callback_body, callback_key_named, output_named
from flask.sessions import SecureCookieSessionInterface
from signin import form_csrf, sign_in

from config.settings import DEFAULT_SECRET_KEY
from security import audit, tokens, users
from security.audit import AuditFilter
from security.secret import KEY_FILE


def _build(data_dir, **settings):
    """This module's apps: no demo park, nothing seeded."""
    return build_app(data_dir, seed=False, demo_cases=0, **settings)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("hardening"))


def engine_of(app):
    return app.server.extensions["onescreen.security"].engine


def _forge(app, key: str, user_id: str) -> str:
    """A session cookie signed with `key`, naming `user_id`, as an attacker would make it."""
    probe = app.server.__class__(__name__)
    probe.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(probe)
    return serializer.dumps({"_user_id": user_id, "_fresh": True, "login_at": int(time.time())})


def test_the_embedded_profile_signs_sessions_with_its_own_random_key(app, tmp_path):
    admin = users.find(engine_of(app), "admin")
    forged = _forge(app, DEFAULT_SECRET_KEY, f"{admin['pk']}:{admin['session_epoch']}")
    client = app.server.test_client()
    client.set_cookie("onescreen_session", forged)
    assert client.get("/api/v1/me").status_code == 401  # the published key signs nothing here
    key_file = app.server.extensions["onescreen"].settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.server.secret_key == key_file.read_text().strip() != DEFAULT_SECRET_KEY
    # a second process on the same data_dir (another worker, a restart) uses the same key
    again = _build(app.server.extensions["onescreen"].settings.data_dir)
    assert again.server.secret_key == app.server.secret_key
    assert _build(tmp_path).server.secret_key != app.server.secret_key  # another installation


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP", "Forwarded"])
def test_one_click_sign_in_is_refused_through_a_proxy(app, header):
    client = app.server.test_client()
    csrf = form_csrf(client)
    response = client.post(
        "/login/demo", data={"csrf": csrf, "username": "admin"}, headers={header: "127.0.0.1"}
    )
    assert response.status_code == 404


def test_one_click_sign_in_is_refused_when_listening_beyond_this_machine(tmp_path):
    exposed = _build(tmp_path, host="0.0.0.0")
    client = exposed.server.test_client()
    assert "/login/demo" not in client.get("/login").get_data(as_text=True)
    assert (
        client.post("/login/demo", data={"csrf": form_csrf(client), "username": "admin"}).status_code == 404
    )


def test_an_anonymous_leader_sees_screens_but_no_records_or_exports(tmp_path):
    wall = _build(tmp_path, anonymous_role="leader")
    client = wall.server.test_client()
    assert client.get("/").status_code == 200
    assert (
        call(
            client, None, wall, output_named(wall, "overview-export.href"), {"overview-scope.value": "*"}
        ).status_code
        == 403
    )
    assert client.get("/api/v1/cases").status_code == 401


def test_a_malformed_callback_body_is_a_bad_request_not_an_error(app):
    client = app.server.test_client()
    csrf = sign_in(client, "leader")
    bodies = (
        {"output": "overview-body.children", "inputs": "x"},
        {"output": ["x"]},
        [1, 2],
        "text",
        {"output": "map-view.data", "inputs": [{"id": "map-range", "property": "value"}, ["not an item"]]},
        {"output": "map-view.data", "inputs": [], "state": [7]},
    )
    for body in bodies:
        response = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json",
            headers={"X-CSRFToken": csrf},
        )  # fmt: skip
        assert response.status_code in (400, 403), body
    assert client.get("/_dash-update-component").status_code == 405


def test_a_callback_request_with_too_few_or_too_many_inputs_is_a_bad_request(app):
    """Dash hands a callback its inputs by position: a tampered request naming fewer than the
    callback declares would raise in its dispatcher (a 500); it is refused with the reason."""
    client = app.server.test_client()
    csrf = sign_in(client, "leader")
    output = callback_key_named(app, "redraw_chains")
    declared = app.callback_map[output]
    body = callback_body(app, output)
    assert call(client, csrf, app, output).status_code == 200
    for changed in (
        {"inputs": body["inputs"][:-1]},
        {"inputs": [*body["inputs"], body["inputs"][0]]},
        {"state": body.get("state", [])[:-1] if declared.get("state") else [{"id": "x", "property": "y"}]},
    ):
        response = client.post(
            "/_dash-update-component", json={**body, **changed}, headers={"X-CSRFToken": csrf}
        )
        assert response.status_code == 400, changed
        assert "not those its callback declares" in response.get_data(as_text=True)


def test_a_password_typed_as_a_username_is_not_kept(app):
    client = app.server.test_client()
    csrf = form_csrf(client)
    secret = "Typed-Into-The-Wrong-Box-9"
    client.post("/login", data={"csrf": csrf, "username": secret, "password": "x"})
    rows = audit.query(engine_of(app), AuditFilter(actions=("login.failure",)), limit=None)
    assert not rows.empty
    assert all(secret.lower() not in json.dumps(row, default=str) for row in rows.to_dict("records"))


def test_the_sign_in_link_of_an_anonymous_wall_returns_to_the_page(tmp_path):
    wall = _build(tmp_path, anonymous_role="viewer")
    client = wall.server.test_client()
    values = {"shell-lang.value": "zh", "shell-url.pathname": "/a page?x=1"}
    response = call(client, None, wall, output_named(wall, "shell-nav.children"), values)
    assert response.status_code == 200
    assert "login?next=%2Fa%20page%3Fx%3D1" in response.get_data(as_text=True)  # "/" is JSON-escaped


def test_unlocking_does_not_end_the_users_sessions(app):
    engine = engine_of(app)
    users.create_user(engine, "frank", "viewer", password="Quiet-Harbour-88", actor="admin")
    client = app.server.test_client()
    sign_in(client, "frank", "Quiet-Harbour-88")
    users.unlock(engine, "frank", actor="admin")
    assert client.get("/api/v1/me").status_code == 200


def test_no_api_token_is_issued_for_the_admin_role(app):
    with pytest.raises(tokens.TokenError, match="admin"):
        tokens.issue(engine_of(app), "automation", "admin", actor="admin")
