"""A wall's own sign-in (security/wall_sessions.py) through the real app: a wall without a
sign-in is shown what to do, never the sign-in form; a wall token entered once keeps the screen
on (a cookie read on every request), but only for the screens, never records or the API; a
revoked or expired token sends the wall back to its sign-in screen (the refusal audited once);
bad input to the form is refused with a message and sets nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from sqlalchemy import update
from test_wall_page import _refresh

from security import audit
from security.audit import AuditFilter
from security.tokens import issue, revoke
from security.wall_sessions import COOKIE_DAYS, SIGNIN, STATUS, WALL_COOKIE
from store.models import ApiToken

WALL = "/wall/overview-hd"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("wall-sessions"), demo_cases=300)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen.security"].engine


def _enrol(client, token: object, next_: str = WALL, lang: str = "en"):
    page = client.get(f"{SIGNIN}?next={next_}&lang={lang}")
    csrf = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    return client.post(SIGNIN, data={"csrf": csrf, "token": token, "next": next_, "lang": lang})


def _wall_cookie(response) -> str | None:
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith(WALL_COOKIE + "=")), None)


def _audited(engine, action: str, pk: int) -> int:
    return len(audit.query(engine, AuditFilter(actions=(action,), target=f"token:{pk}"), limit=None))


def test_a_wall_without_a_sign_in_is_told_what_to_do_not_shown_the_form(app):
    client = app.server.test_client()
    response = client.get(WALL + "?tile=1,1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{SIGNIN}?next=%2Fwall%2Foverview-hd%3Ftile%3D1%2C1"
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This wall screen is not signed in" in page and "/assets/07-wall-signin.js" in page
    assert 'data-wall-return="/wall/overview-hd?tile=1,1"' in page
    zh = client.get(f"{SIGNIN}?next={WALL}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "此大屏尚未登录" in zh
    assert client.get(STATUS).get_json() == {"screens": False}
    assert client.get("/cases").headers["Location"].startswith("/login?")  # a person's page: the form
    # the callbacks of a wall whose sign-in ended: 401, which its script turns into the screen above
    assert _refresh(app, (client, None), "panel-live-tick", [1]).status_code == 401


def test_a_wall_token_entered_once_keeps_the_screen_on(app, engine):
    token, pk = issue(engine, "Hall A wall", "viewer", actor="admin")
    client = app.server.test_client()
    response = _enrol(client, token)
    assert response.status_code == 302 and response.headers["Location"] == WALL
    cookie = _wall_cookie(response)
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert f"Max-Age={COOKIE_DAYS * 24 * 3600}" in cookie
    assert _audited(engine, "wall.enrol", pk) == 1
    page = client.get(WALL)
    assert page.status_code == 200
    assert _wall_cookie(page)  # renewed as a page loads: 400 days from the last load, not the first
    assert client.get(STATUS).get_json() == {"screens": True}
    assert client.get(f"{SIGNIN}?next={WALL}").headers["Location"] == WALL  # the screen goes back
    # a wall changes nothing, so its panels' callbacks need no CSRF token (as the anonymous role's)
    drawn = _refresh(app, (client, None), "panel-live-tick", [1])
    assert drawn.status_code == 200 and "os-kpi-card" in drawn.get_data(as_text=True)


def test_a_wall_sees_the_screens_only_whatever_its_tokens_role(app, engine):
    token, _pk = issue(engine, "Leaders' wall", "leader", actor="admin")
    client = app.server.test_client()
    assert _enrol(client, token).status_code == 302
    assert client.get(WALL).status_code == 200
    assert client.get("/cases").status_code == 403  # records: a leader's token, but on a wall
    assert client.get("/api/v1/cases").status_code == 401  # the cookie is no API credential
    # but it reads the screen data its map panel draws (a wall's map had no layers before)
    layer = client.get("/api/v1/map/layers/sensors?crs=wgs84")
    assert layer.status_code == 200 and layer.get_json()["type"] == "FeatureCollection"
    assert client.post("/api/v1/map/layers/sensors?crs=wgs84").status_code in (401, 405)
    assert client.get("/api/v1/map/layers-export").status_code == 401  # a sibling path: no


def test_a_revoked_token_sends_the_wall_to_its_sign_in_screen_and_is_audited_once(app, engine):
    token, pk = issue(engine, "Hall B wall", "viewer", actor="admin")
    client = app.server.test_client()
    assert _enrol(client, token).status_code == 302
    revoke(engine, pk, actor="admin")
    refused = client.get(WALL)
    assert refused.status_code == 302 and refused.headers["Location"].startswith(SIGNIN)
    assert f"{WALL_COOKIE}=;" in _wall_cookie(refused)  # dropped: the refusal is not asked again
    for _ in range(3):  # the screen keeps asking whether it may come back
        assert client.get(STATUS).get_json() == {"screens": False}
    assert _audited(engine, "token.refused", pk) == 1


def test_an_expired_token_ends_the_walls_callbacks_with_401(app, engine):
    token, pk = issue(engine, "Hall C wall", "viewer", actor="admin", expires_days=30)
    client = app.server.test_client()
    assert _enrol(client, token).status_code == 302
    assert _refresh(app, (client, None), "panel-live-tick", [1]).status_code == 200
    with engine.begin() as connection:
        past = datetime.now(UTC) - timedelta(minutes=1)
        connection.execute(update(ApiToken).where(ApiToken.pk == pk).values(expires_at=past))
    assert _refresh(app, (client, None), "panel-live-tick", [1]).status_code == 401
    assert client.get(STATUS).get_json() == {"screens": False}


@pytest.mark.parametrize(
    ("token", "status", "words"),
    [
        ("", 400, "unknown, revoked or expired"),
        ("   ", 400, "unknown, revoked or expired"),
        ("os_" + "x" * 300, 400, "unknown, revoked or expired"),
        ("os_not-a-token-at-all", 401, "unknown, revoked or expired"),
        ("reporter", 403, "may not see the screens"),
        ("revoked", 401, "unknown, revoked or expired"),
    ],
)
def test_a_token_the_form_cannot_take_is_refused_with_a_message_and_sets_nothing(
    app, engine, token, status, words
):
    if token == "reporter":
        token, _pk = issue(engine, "citizen app", "reporter", actor="admin")
    elif token == "revoked":
        token, pk = issue(engine, "old wall", "viewer", actor="admin")
        revoke(engine, pk, actor="admin")
    client = app.server.test_client()
    response = _enrol(client, token)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert _wall_cookie(response) is None
    assert client.get(STATUS).get_json() == {"screens": False}


def test_the_form_without_its_csrf_token_is_refused(app, engine):
    token, _pk = issue(engine, "Hall D wall", "viewer", actor="admin")
    client = app.server.test_client()
    response = client.post(SIGNIN, data={"token": token, "next": WALL, "lang": "en"})
    assert response.status_code == 400 and _wall_cookie(response) is None


def test_the_anonymous_role_needs_no_wall_token(tmp_path):
    guests = build_app(tmp_path, seed=False, demo_cases=300, anonymous_role="viewer")
    client = guests.server.test_client()
    assert client.get(WALL).status_code == 200
    assert client.get(f"{SIGNIN}?next={WALL}").headers["Location"] == WALL
    # the wall's map panel reads its layers as a guest; records stay closed to guests
    assert client.get("/api/v1/map/layers/boundary?crs=wgs84").status_code == 200
    assert client.get("/api/v1/cases").status_code == 401
