"""Embed tokens issued and the embed callback called as a portal's iframe would, for the embed
tests (tests/unit/embeds): no session, the token in the address."""

from __future__ import annotations

from typing import Any

from components.embed_app import BODY, LIVE, TICK, URL
from components.embed_panels import check_params
from security.embed_tokens import issue

DISPATCH = "/embed/_dash-update-component"


def issue_token(app, engine, panel="cases_by_channel", hours=2, **params) -> tuple[str, int]:
    """A token issued as the admin page does: (the token, its id)."""
    with app.server.app_context():
        return issue(engine, app.server.config["SECRET_KEY"], panel, params, hours=hours, label="portal",
                     actor="admin", check_params=check_params)  # fmt: skip


def callback_body(pathname: object, live: Any = None) -> dict:
    """The embed callback's request: its declared inputs (the clock, the address, the live
    store) in their order."""
    return {
        "output": f"{BODY}.children",
        "outputs": {"id": BODY, "property": "children"},
        "inputs": [
            {"id": TICK, "property": "n_intervals", "value": None},
            {"id": URL, "property": "pathname", "value": pathname},
            {"id": LIVE, "property": "data", "value": live},
        ],
        "state": [],
        "changedPropIds": [f"{URL}.pathname"],
    }
