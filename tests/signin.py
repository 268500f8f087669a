"""Signing in from tests, the way a browser does: fetch the sign-in form for its CSRF token,
then post it (one-click for the embedded demo users, or a username and password)."""

from __future__ import annotations

import re

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
DEMO = {
    "leader": "leader",
    "department_head": "dept-head",
    "duty_officer": "duty",
    "viewer": "viewer",
    "admin": "admin",
}


def form_csrf(client) -> str:
    page = client.get("/login")
    return CSRF_FIELD.search(page.get_data(as_text=True)).group(1)


def sign_in(client, username: str, password: str | None = None) -> str:
    """Sign a Flask test client in; returns the session's CSRF token for X-CSRFToken."""
    csrf = form_csrf(client)
    if password is None:
        response = client.post("/login/demo", data={"csrf": csrf, "username": username})
    else:
        response = client.post("/login", data={"csrf": csrf, "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with client.session_transaction() as session:
        return session["csrf"]


def signed_in(app, role: str):
    """A test client of `app` signed in as the demo user holding `role`, and its CSRF token."""
    client = app.server.test_client()
    return client, sign_in(client, DEMO[role])
