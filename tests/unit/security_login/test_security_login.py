"""Signing in: an unknown username is a plain failure (masked in the audit log), and the one-click
demo sign-in exists only in the embedded profile and only for this machine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apps import clear_onescreen_env
from login_checks import PASSWORD, T0, audit_rows
from signin import form_csrf

from app import build_dash
from config.settings import SettingsError, load_settings
from security.setup import check_users
from security.users import authenticate, create_user, set_disabled
from store.engine import make_engine
from store.migrate import upgrade


def test_an_unknown_user_is_a_plain_failure(store):
    result = authenticate(store, "nobody", PASSWORD, now=T0, max_failures=10, lockout=timedelta(minutes=15))
    assert (result.outcome, result.principal) == ("bad", None)
    # recorded masked: people type passwords into the username box
    row = audit_rows(store, "login.failure", "no…(6)")[0]
    assert row["detail"] == {"reason": "unknown user"} and row["target"] == "user:no…(6)"


# --- the one-click demo sign-in --------------------------------------------------------------


def test_demo_sign_in_is_offered_to_this_machine_only(app):
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    client = app.server.test_client()
    assert "os-demo-user" in client.get("/login").get_data(as_text=True)
    assert "os-demo-user" not in client.get("/login", environ_base=remote).get_data(as_text=True)
    csrf = form_csrf(client)
    data = {"csrf": csrf, "username": "viewer"}
    assert client.post("/login/demo", data=data, environ_base=remote).status_code == 404
    # a forwarded-for header is not believed without the proxy_count setting
    spoofed = client.post(
        "/login/demo", data=data, environ_base=remote, headers={"X-Forwarded-For": "127.0.0.1"}
    )
    assert spoofed.status_code == 404
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.post("/login/demo", data=data).status_code == 302  # from this machine it works


def test_production_refuses_demo_users_and_has_no_demo_sign_in(tmp_path, monkeypatch):
    clear_onescreen_env(monkeypatch)
    url = f"sqlite:///{tmp_path / 'production.sqlite'}"
    settings = load_settings(
        profile="production", secret_key="a-long-production-secret-key", database_url=url, data_dir=tmp_path
    )
    engine = make_engine(url)
    upgrade(engine)
    create_user(engine, "wall", "viewer", password=None, actor="system", is_demo=True)
    with pytest.raises(SettingsError, match=r"demo users without passwords \(wall\)"):
        check_users(settings, engine)
    with pytest.raises(SettingsError, match="demo users"):
        build_dash(settings)

    set_disabled(engine, "wall", True, actor="admin")
    check_users(settings, engine)  # no enabled demo user left
    app = build_dash(settings)
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "os-demo-user" not in page
    response = client.post("/login/demo", data={"csrf": form_csrf(client), "username": "wall"})
    assert response.status_code == 404
