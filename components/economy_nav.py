"""Tabs that join the pages of one subject under one entry of the shell's navigation, so the
header keeps room on a 1920-pixel screen in both languages: the industry pages (the chains,
enterprise profiles, policy matching) and the administration pages (users and tokens, the
audit log, embedded panels, screen layouts). A page joins a group with `nav_group=` in its
register_page; the shell lists the group once (components/shell.py) and each member page shows
these tabs at its top, each only to those who may open it."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from locales import t
from security.guard import permitted
from security.web_context import current_principal

INDUSTRY = "/chains"  # the chains page leads its group
ADMIN = "/admin"  # a group without a page of its own: the first page the reader may open leads
# groups whose entry in the shell has its own name and icon (others take their leading page's)
GROUP_NAMES = {ADMIN: ("nav.admin", "bi-gear")}


def group_of(page: dict[str, Any]) -> str:
    return page.get("nav_group") or page["path"]


def members(group: str) -> list[dict[str, Any]]:
    """The pages of `group` the current reader may open, in navigation order."""
    principal = current_principal()
    pages = sorted(dash.page_registry.values(), key=lambda p: (p.get("order") or 0, p["path"]))
    return [
        p
        for p in pages
        if group_of(p) == group and not p.get("hidden") and permitted(principal, p.get("permission"))
    ]


def group_tabs(group: str, current: str, lang: str) -> html.Nav:
    return html.Nav(
        [
            dcc.Link(
                [html.I(className=f"bi {p.get('icon', 'bi-circle')} me-1"), t(p["title_key"], lang)],
                href=p["relative_path"],
                className="os-economy-tab" + (" active" if p["path"] == current else ""),
            )
            for p in members(group)
        ],
        className="os-economy-tabs",
        **{"aria-label": t(GROUP_NAMES.get(group, ("nav.economy",))[0], lang)},
    )


def economy_tabs(current: str, lang: str) -> html.Nav:
    return group_tabs(INDUSTRY, current, lang)


def admin_tabs(current: str, lang: str) -> html.Nav:
    return group_tabs(ADMIN, current, lang)
