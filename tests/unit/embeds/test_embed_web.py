"""/embed/<token> over HTTP: the panel's page and its callback open with a valid token only, the
callback draws from the token (never from what the browser sends), a wrong, expired or
revoked token gets a refusal page in the reader's language, and the page may be framed only
by the embed_frame_ancestors origins."""

from __future__ import annotations

import json

import pytest
from apps import build_app
from embed_calls import DISPATCH, callback_body, issue_token
from sqlalchemy import text

from components.embed_app import BODY, KEY, URL
from security.embed_tokens import revoke

PORTAL = "https://portal.example"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("embed-web"), demo_cases=300, embed_frame_ancestors=[PORTAL])


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen.security"].engine


_token = issue_token
_body = callback_body


def _callback(client, pathname: object):
    return client.post(DISPATCH, json=_body(pathname))


def test_the_panel_opens_with_its_token_and_draws_what_the_token_names(app, engine):
    token, _pk = _token(app, engine, lang="en")
    client = app.server.test_client()  # no session: as inside another portal's iframe
    page = client.get(f"/embed/{token}")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors {PORTAL}" in policy
    assert client.get("/embed/_dash-layout").status_code == 200
    assert client.get("/embed/_dash-dependencies").status_code == 200
    answer = _callback(client, f"/embed/{token}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    drawn = json.dumps(answer.get_json())
    assert "Cases by channel" in drawn and '"data-panel": "cases_by_channel"' in drawn
    # the rest of the app still may not be framed, and its pages still want a sign-in
    assert "frame-ancestors 'none'" in client.get("/login").headers["Content-Security-Policy"]
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("lang", "words"), [("zh", "链接无效"), ("en", "is not valid")])
def test_a_tampered_token_gets_the_refusal_page_in_the_readers_language(app, engine, lang, words):
    token, _pk = _token(app, engine)
    client = app.server.test_client()
    page = client.get(f"/embed/{token[:-3]}abc", headers={"Accept-Language": lang})
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert words in text and 'data-reason="invalid"' in text
    assert f"frame-ancestors {PORTAL}" in page.headers["Content-Security-Policy"]  # shown in the frame


@pytest.mark.parametrize(
    ("lang", "words"), [("zh", "已被管理员撤销"), ("en", "withdrawn by an administrator")]
)
def test_a_revoked_token_is_refused_from_the_next_request_on(app, engine, lang, words):
    token, pk = _token(app, engine)
    client = app.server.test_client()
    assert _callback(client, f"/embed/{token}").status_code == 200
    revoke(engine, pk, actor="admin")
    assert _callback(client, f"/embed/{token}").status_code == 403
    page = client.get(f"/embed/{token}", headers={"Accept-Language": lang})
    assert page.status_code == 403 and words in page.get_data(as_text=True)


def test_an_expired_token_gets_its_own_refusal(app, engine, monkeypatch):
    token, _pk = _token(app, engine, hours=1)
    import security.embed_tokens as embed_tokens

    real = embed_tokens.time.time
    monkeypatch.setattr(embed_tokens.time, "time", lambda: real() + 3601)
    page = app.server.test_client().get(f"/embed/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 403 and "has expired" in page.get_data(as_text=True)


def test_a_callback_without_a_valid_token_is_refused(app, engine):
    client = app.server.test_client()
    for pathname in ("/embed/", "/embed/not-a-token", "/", None):
        answer = _callback(client, pathname)
        assert answer.status_code == 403, pathname
        assert answer.get_json()["error"] == "forbidden"
    assert client.get("/embed/").status_code == 403


def test_a_token_reaches_no_other_callback_and_no_other_parameters(app, engine):
    """The embed dispatcher knows the embed callback only, the main one wants a session, and
    the panel is drawn from the token's parameters whatever else the request sends."""
    token, _pk = _token(app, engine, department=None, lang="zh")
    client = app.server.test_client()
    main = app.callback_map
    overview = next(k for k in main if k.startswith("overview-body"))
    body = {"output": overview, "outputs": {"id": "overview-body", "property": "children"},
            "inputs": [{"id": URL, "property": "pathname", "value": f"/embed/{token}"}],
            "state": [], "changedPropIds": []}  # fmt: skip
    assert client.post("/_dash-update-component", json=body).status_code == 401
    assert client.post(DISPATCH, json=body).status_code == 403
    assert client.post(DISPATCH, json=["not", "a", "callback"]).status_code == 403


def _drawn(answer) -> str:
    return json.dumps(answer.get_json()["response"][BODY]["children"], ensure_ascii=False)


def test_the_panel_is_drawn_from_the_tokens_parameters_only(app, engine):
    with engine.connect() as connection:
        department, name_en = connection.execute(text("SELECT id, name_en FROM departments LIMIT 1")).one()
    whole, _ = _token(app, engine, "case_trend", lang="en")
    scoped, _ = _token(app, engine, "case_trend", department=department, lang="en")
    client = app.server.test_client()
    drawn = _drawn(_callback(client, f"/embed/{whole}"))
    assert "Cases reported and closed, last 30 days" in drawn and "os-embed-scope" not in drawn
    assert f"Figures of {name_en} only" in _drawn(_callback(client, f"/embed/{scoped}"))
    # a request that adds a department of its own (as a tampered renderer could) draws nothing
    for extra in ("inputs", "state"):
        tampered = _body(f"/embed/{whole}")
        tampered[extra].append({"id": "overview-scope", "property": "value", "value": department})
        answer = client.post(DISPATCH, json=tampered)
        assert answer.status_code == 400 and answer.get_json()["error"] == "bad request"
    swapped = _body(f"/embed/{whole}")
    swapped["inputs"].reverse()  # Dash hands values by position: the token must be where declared
    assert client.post(DISPATCH, json=swapped).status_code == 400


def test_the_embed_app_is_its_own_dash_app(app):
    embed = app.server.extensions[KEY]
    assert embed is not app and list(embed.callback_map) == [f"{BODY}.children"]
    # set up while the app was built, not by two visitors' first requests at once
    assert embed._got_first_request["setup_server"]


def test_a_chain_graph_token_draws_its_chain_without_clicks(app, engine):
    with engine.connect() as connection:
        chain = connection.execute(
            text("SELECT DISTINCT chain FROM chains ORDER BY chain LIMIT 1")
        ).scalar_one()
    token, _ = _token(app, engine, "chain_graph", chain=chain, lang="en")
    drawn = _drawn(_callback(app.server.test_client(), f"/embed/{token}"))
    assert f"panel-chain-graph-{chain}" in drawn and '"userZoomingEnabled": false' in drawn


def test_a_callback_whose_token_names_other_parameters_is_refused(app, engine):
    """A token re-signed with the app's own key to name another
    department than its row, or signed by another key, is refused: 403, and the page says so."""
    from itsdangerous import URLSafeSerializer

    from security.embed_tokens import SALT

    token, pk = _token(app, engine, "case_trend", lang="en")
    with engine.connect() as connection:
        department = connection.execute(text("SELECT id FROM departments LIMIT 1")).scalar_one()
    payload = {
        "id": pk,
        "panel": "case_trend",
        "params": {"department": department, "lang": "en"},
        "exp": 2**40,
    }
    other_params = URLSafeSerializer(app.server.config["SECRET_KEY"], salt=SALT).dumps(payload)
    other_panel = URLSafeSerializer(app.server.config["SECRET_KEY"], salt=SALT).dumps(
        {**payload, "panel": "cases_by_channel", "params": {"department": None, "lang": "en"}}
    )
    other_key = URLSafeSerializer("not the app's key", salt=SALT).dumps(
        {**payload, "params": {"department": None, "lang": "en"}}
    )
    client = app.server.test_client()
    assert _callback(client, f"/embed/{token}").status_code == 200
    for forged in (other_params, other_panel, other_key):
        answer = _callback(client, f"/embed/{forged}")
        assert answer.status_code == 403 and answer.get_json()["message"] == "embed token invalid"
        assert client.get(f"/embed/{forged}").status_code == 403
