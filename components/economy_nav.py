"""The tabs that join the industry pages: the chains, the enterprise profiles and policy
matching are one subject (产业) under one entry of the shell's navigation, so the header keeps
room on a 1920-pixel screen in both languages; each page shows these tabs at its top."""

from __future__ import annotations

from dash import dcc, html

from locales import t

# (path, catalogue key, icon); the shell lists only the first (components/shell.py: nav_group)
TABS = (
    ("/chains", "nav.chains", "bi-diagram-3"),
    ("/enterprise", "nav.enterprise", "bi-buildings"),
    ("/policies", "nav.policies", "bi-award"),
)
GROUP = TABS[0][0]


def economy_tabs(current: str, lang: str) -> html.Nav:
    return html.Nav(
        [
            dcc.Link(
                [html.I(className=f"bi {icon} me-1"), t(key, lang)],
                href=path,
                className="os-economy-tab" + (" active" if path == current else ""),
            )
            for path, key, icon in TABS
        ],
        className="os-economy-tabs",
        **{"aria-label": t("nav.economy", lang)},
    )
