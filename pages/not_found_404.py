"""The page shown for an address no page answers (Dash Pages looks for this module name)."""

from __future__ import annotations

import dash
from dash import dcc, html

from locales import normalise, t

dash.register_page(__name__, path="/404", title="OneScreen", hidden=True, title_key="notfound.title")


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    return html.Div(
        html.Section(
            [
                html.H2(t("notfound.title", lang)),
                html.P(t("notfound.text", lang)),
                dcc.Link(t("notfound.back", lang), href="/"),
            ],
            className="os-panel os-notfound",
        ),
        className="os-page",
    )
