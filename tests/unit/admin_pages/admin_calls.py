"""Driving the admin pages as the browser does: a callback named by its function, posted to
/_dash-update-component with the body Dash's renderer sends (tests/dash_calls.py) and the
session's CSRF token, and reading what it answers."""

from __future__ import annotations

from dash_calls import call, callback_key_named

STRONG = "Harbour-lights-42"


def post(app, session, name: str, values: dict, triggered: str):
    """Post callback function `name` with `values` ("id.property" -> what the browser holds),
    `triggered` being the property that changed; the page is in English."""
    client, csrf = session
    output = callback_key_named(app, name)
    return call(client, csrf, app, output, {"shell-lang.value": "en", **values}, triggered)


def answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return response.get_json()["response"]


def text_of(value) -> str:
    """All the text of a component tree (as Dash sends it) in one string."""
    if isinstance(value, dict):
        return " ".join(text_of(v) for k, v in value.items() if k in ("props", "children"))
    if isinstance(value, list):
        return " ".join(text_of(v) for v in value)
    return "" if value is None else str(value)


def component(tree, component_id: str) -> dict | None:
    """The component `component_id` in a layout as Dash sends it (to_plotly_json)."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        children = tree.get("props", {}).get("children")
        return component(children, component_id) if children is not None else None
    if isinstance(tree, list):
        return next((found for item in tree if (found := component(item, component_id))), None)
    return None


def audit_rows(app, session, **values) -> list[dict]:
    names = {"actions": "audit-action.value", "outcome": "audit-outcome.value", "actor": "audit-actor.value",
             "target": "audit-target.value", "start": "audit-dates.start_date", "end": "audit-dates.end_date"}  # fmt: skip
    sent = {names[k]: v for k, v in values.items()}
    got = answer(post(app, session, "on_filter", sent, next(iter(sent), "audit-refresh.n_clicks")))
    return got["audit-grid"]["rowData"]


def create(app, session, username, password=STRONG, confirm=None, roles=("viewer",), department=None):
    values = {
        "access-create.n_clicks": 1,
        "access-new-username.value": username,
        "access-new-display.value": f"Tester {username}",
        "access-new-roles.value": list(roles),
        "access-new-dept.value": department,
        "access-new-password.value": password,
        "access-new-confirm.value": password if confirm is None else confirm,
    }
    return post(app, session, "on_create", values, "access-create.n_clicks")


def engine_of(app):
    return app.server.extensions["onescreen"].engine
