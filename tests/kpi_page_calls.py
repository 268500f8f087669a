"""The KPI page's fixtures and request helpers, shared by tests/unit/test_kpi_page*.py: an app on a
small demo park, its signed-in readers, the page drawn through the router, a callback posted as
the renderer posts it, a card filled in, an open case of a department. Each test module keeps
its own fixtures (module-scoped: one app a module) and calls use_app from an autouse fixture."""

from __future__ import annotations

import json

from dash_calls import call, callback_key_named, router_page
from sqlalchemy import select

from store.models import Case

OWN = "urban_management"  # the demo department head's department
OTHER = "ecology_environment"


def _page(session, search: str = "", lang: str = "en"):
    return router_page(session, "/kpis", search, lang)


def _text(tree) -> str:
    return json.dumps(tree, ensure_ascii=False)


def _links(tree) -> list[str]:
    """Every href in the tree."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("href"), str):
                found.append(node["href"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    return found


class _Current:
    app = None  # the test module's app (set by its autouse fixture: use_app)


def use_app(app) -> None:
    """Make `app` the one _post and _card call (each test module has its own)."""
    _Current.app = app


def _post(session, name: str, values: dict, triggered: str):
    client, csrf = session
    return call(client, csrf, _Current.app, callback_key_named(_Current.app, name), {"shell-lang.value": "en", **values},
                triggered)  # fmt: skip


def _answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _card(session, kpi: str, state: dict, lang: str = "en"):
    """One card's request as the renderer sends it for the slot of `kpi`."""
    client, csrf = session
    slot = {"kpi": kpi, "type": "kpis-slot"}
    body = {
        "output": callback_key_named(_Current.app, "on_kpi_card"),
        "outputs": {"id": slot, "property": "children"},
        "inputs": [
            {"id": slot, "property": "id", "value": slot},
            {"id": "kpis-day", "property": "data", "value": "2026-12-07"},  # the park's day drawn on
        ],
        "state": [
            {"id": "kpis-state", "property": "data", "value": state},
            {"id": "shell-lang", "property": "value", "value": lang},
        ],  # fmt: skip
        "changedPropIds": [],
    }
    return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})


def _open_case(engine, department: str = OWN) -> tuple[str, str, str]:
    """(department, grid cell, case type) of an open case in the store."""
    with engine.connect() as c:
        return tuple(
            c.execute(
                select(Case.department, Case.grid_cell, Case.case_type)
                .where(
                    Case.status.not_in(["closed", "rejected"]),
                    Case.department == department,
                    Case.grid_cell.is_not(None),
                )  # fmt: skip
                .limit(1)
            ).one()
        )


# ---- how a figure is written -----------------------------------------------------------------


def _walk(tree):
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _walk(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _walk(item)
