"""Sessions through the real app and Flask's test client: CSRF on callbacks and on the sign-in
form, the session and CSRF cookies' flags, no open redirect after sign-in, the absolute session
lifetime, sessions that end when the password changes or the account is disabled, the pages
router's page check, and the anonymous role of a wall screen."""

from __future__ import annotations

import re
import time

import pytest
from apps import build_app, clear_onescreen_env
from signin import form_csrf, signed_in

from config.settings import SettingsError, load_settings
from security import audit
from security.audit import AuditFilter
from security.users import create_user, set_disabled, set_password

PASSWORD = "Harbour-Lantern-47"
HTTPS = "https://localhost"
ROUTER = ".._pages_content.children..._pages_store.data.."


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sessions")


@pytest.fixture(scope="module")
def env():
    """No ONESCREEN_* variable set, for the tests that load settings themselves."""
    with pytest.MonkeyPatch.context() as patch:
        clear_onescreen_env(patch)
        yield patch


@pytest.fixture(scope="module")
def app(data_dir):
    app = build_app(data_dir, seed=False, demo_cases=300)
    engine = app.server.extensions["onescreen.security"].engine
    for name in ("erin", "frank", "gina", "hugo"):
        create_user(engine, name, "leader", password=PASSWORD, actor="admin")
    return app


@pytest.fixture(scope="module")
def wall_app(data_dir):
    """The same store served to a wall screen without a login: anonymous visitors are viewers."""
    return build_app(data_dir, seed=False, demo_cases=300, anonymous_role="viewer")


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen.security"].engine


def _sign_in(client, username: str, *, next_path: str | None = None, base_url: str = "http://localhost"):
    page = client.get("/login", base_url=base_url)
    assert page.status_code == 200
    csrf = form_csrf_of(page)
    data = {"csrf": csrf, "username": username, "password": PASSWORD}
    if next_path is not None:
        data["next"] = next_path
    response = client.post("/login", data=data, base_url=base_url)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def form_csrf_of(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _session_csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def _signed_in_user(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def _router_body(pathname: str, *, swap: bool = False) -> dict:
    """What Dash's renderer posts when the location changes (the pages router)."""
    items = [
        {"id": "_pages_location", "property": "pathname", "value": pathname},
        {"id": "_pages_location", "property": "search", "value": ""},
        {"id": "shell-lang", "property": "value", "value": "en"},
    ]
    if swap:  # the pathname named second: Dash passes values by position, whatever the ids say
        items[0], items[1] = (
            {"id": "_pages_location", "property": "search", "value": pathname},
            {"id": "_pages_location", "property": "pathname", "value": "/"},
        )
    return {
        "output": ROUTER,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": items,
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


def _audit(engine, action: str, actor: str) -> list[dict]:
    return audit.query(engine, AuditFilter(actions=(action,), actor=actor), limit=None).to_dict("records")


def _cookie_header(response, name: str) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert found, f"no {name} cookie in {response.headers.getlist('Set-Cookie')}"
    return found[-1]


# --- CSRF ----------------------------------------------------------------------------------


def test_a_callback_without_the_csrf_header_is_refused(app, engine):
    client = app.server.test_client()
    _sign_in(client, "erin")
    csrf = _session_csrf(client)
    body = _router_body("/no/such/page")

    refused = client.post("/_dash-update-component", json=body)
    assert refused.status_code == 403
    forged = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": "not-the-token"})
    assert forged.status_code == 403
    denied = _audit(engine, "access.denied", "erin")
    assert [r["target"] for r in denied] == ["csrf /_dash-update-component"] * 2
    assert {r["outcome"] for r in denied} == {"denied"}

    accepted = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200
    assert "_pages_content" in accepted.get_json()["response"]


def test_the_sign_in_form_needs_its_csrf_field(app):
    client = app.server.test_client()
    form_csrf(client)  # the session has a token; the post below does not send it
    data = {"username": "erin", "password": PASSWORD, "lang": "en"}
    for sent in ({}, {"csrf": "a-forged-token"}):
        response = client.post("/login", data={**data, **sent})
        assert response.status_code == 400
        assert "The sign-in form had expired. Please send it again." in response.get_data(as_text=True)
        assert _signed_in_user(client) is None


def test_sign_out_needs_the_csrf_field(app):
    client = app.server.test_client()
    _sign_in(client, "erin")
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 302
    assert client.get("/_dash-layout").status_code == 200  # a forged sign-out is ignored
    assert client.post("/logout", data={"csrf": _session_csrf(client)}).headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401


# --- cookies -------------------------------------------------------------------------------


def test_cookies_are_httponly_lax_and_the_csrf_cookie_is_set(app):
    client = app.server.test_client()
    response = _sign_in(client, "erin")
    session_cookie = _cookie_header(response, "onescreen_session")
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP here: see the HTTPS test
    csrf_cookie = _cookie_header(response, "_csrf_token")
    assert csrf_cookie.startswith(f"_csrf_token={_session_csrf(client)};")
    assert "HttpOnly" not in csrf_cookie  # Dash's renderer reads it and sends it back
    assert "SameSite=Lax" in csrf_cookie


def test_cookies_are_secure_over_https(app):
    client = app.server.test_client()
    response = _sign_in(client, "erin", base_url=HTTPS)
    assert "Secure" in _cookie_header(response, "onescreen_session")
    assert "Secure" in _cookie_header(response, "_csrf_token")
    assert client.get("/_dash-layout", base_url=HTTPS).status_code == 200


def test_signing_in_starts_a_fresh_session(app):
    client = app.server.test_client()
    form_csrf(client)
    before = _session_csrf(client)
    _sign_in(client, "erin")
    assert _session_csrf(client) != before
    assert _signed_in_user(client) is not None


# --- where sign-in leads -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_path", "location"),
    [
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/logout", "/"),
        ("/sources?x=1", "/sources?x=1"),
    ],
)
def test_sign_in_never_redirects_to_another_site(app, next_path, location):
    client = app.server.test_client()
    response = _sign_in(client, "erin", next_path=next_path)
    assert response.headers["Location"] == location


# --- the session's lifetime ----------------------------------------------------------------


def _age_session(client, app, *, seconds_past_the_end: int) -> None:
    hours = app.server.extensions["onescreen.security"].settings.session_hours
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - hours * 3600 - seconds_past_the_end


def test_a_session_ends_after_session_hours_however_active(app, engine):
    client = app.server.test_client()
    _sign_in(client, "hugo")
    _age_session(client, app, seconds_past_the_end=-60)  # a minute before the end: still on
    assert client.get("/_dash-layout").status_code == 200
    assert _audit(engine, "session.expired", "hugo") == []

    _age_session(client, app, seconds_past_the_end=5)
    response = client.get("/_dash-layout")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorised"
    assert _signed_in_user(client) is None
    expired = _audit(engine, "session.expired", "hugo")
    assert [r["target"] for r in expired] == ["/_dash-layout"]

    _sign_in(client, "hugo")
    _age_session(client, app, seconds_past_the_end=5)
    page = client.get("/sources?x=1")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?expired=1&next=%2Fsources%3Fx%3D1"  # the page says why
    assert len(_audit(engine, "session.expired", "hugo")) == 2


def test_changing_the_password_ends_open_sessions(app, engine):
    client = app.server.test_client()
    _sign_in(client, "frank")
    assert client.get("/_dash-layout").status_code == 200
    set_password(engine, "frank", "Copper-Falcon-2290", actor="admin")
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/").status_code == 302


def test_a_disabled_user_cannot_sign_in_and_their_session_ends(app, engine):
    client = app.server.test_client()
    _sign_in(client, "gina")
    assert client.get("/_dash-layout").status_code == 200
    set_disabled(engine, "gina", True, actor="admin")
    assert client.get("/_dash-layout").status_code == 401

    fresh = app.server.test_client()
    data = {"csrf": form_csrf(fresh), "username": "gina", "password": PASSWORD, "lang": "en"}
    response = fresh.post("/login", data=data)
    assert response.status_code == 403
    assert "This account is disabled." in response.get_data(as_text=True)
    assert _signed_in_user(fresh) is None
    assert _audit(engine, "login.failure", "gina")[0]["detail"] == {"reason": "disabled"}


# --- pages and the pages router --------------------------------------------------------------


def test_the_router_checks_the_path_it_will_draw(app, engine):
    client, csrf = signed_in(app, "viewer")  # a viewer may not see the sources page

    def route(body: dict):
        return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})

    assert client.get("/sources").status_code == 403
    assert route(_router_body("/sources")).status_code == 403
    # naming the pathname second does not get the sources page past the check
    swapped = route(_router_body("/sources", swap=True))
    assert swapped.status_code == 403
    assert "sources-notice" not in swapped.get_data(as_text=True)
    assert route({**_router_body("/"), "inputs": []}).status_code == 403
    assert route({**_router_body("/"), "output": [ROUTER]}).status_code == 400  # not a callback request
    denied = [r["target"] for r in _audit(engine, "access.denied", "viewer")]
    assert denied.count("page /sources") == 2
    assert (
        denied.count("malformed pages router request") == 2
    )  # the list-valued output is a 400, not a refusal
    assert route(_router_body("/no/such/page")).status_code == 200


# --- the anonymous role ----------------------------------------------------------------------


def test_without_an_anonymous_role_everything_needs_a_sign_in(app):
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=%2F"
    assert client.get("/_dash-layout").status_code == 401
    assert client.post("/_dash-update-component", json=_router_body("/")).status_code == 401


def test_an_anonymous_viewer_sees_screens_but_not_sources(wall_app):
    client = wall_app.server.test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert b"_dash-config" in page.data
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/sources").status_code == 403
    assert client.post("/_dash-update-component", json=_router_body("/sources")).status_code == 403
    assert client.post("/_dash-update-component", json=_router_body("/no/such/page")).status_code == 200


@pytest.mark.parametrize("role", ["admin", "duty_officer", "department_head", "root"])
def test_settings_refuse_an_anonymous_role_that_could_change_or_administer(env, role):
    with pytest.raises(SettingsError, match="anonymous_role"):
        load_settings(anonymous_role=role)
