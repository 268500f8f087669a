"""Enterprise profile (企业画像) and enterprise search: /enterprise?id=ENT0001 shows one firm —
who it is, its chain link, where it is on a small map, its figures over the years, where it
stands against its link's median, the cases and alerts around it and the policies it matches;
/enterprise alone (or with ?q=) is the search, by name in either language or by credit code.
Every figure comes from services/ (the chain view, queries in the store); nothing is computed
here."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, html
from sqlalchemy.exc import SQLAlchemyError

from components.economy_nav import economy_tabs
from components.enterprise_charts import history_charts
from components.enterprise_nearby import nearby_panel
from components.enterprise_panels import comparison_panel, identity_panel, policy_panel
from components.enterprise_search import GO, QUERY, RESULTS, SHOWN, results, search_box
from components.place_map import place_map
from components.policy_words import reason_text
from components.timefmt import format_time
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.context import get_services
from services.enterprise_nearby import nearby
from services.enterprises import MAX_TEXT, Profile, largest, profile, search
from services.policies import policies_for
from services.surroundings import surroundings

dash.register_page(
    __name__,
    path="/enterprise",
    name="Enterprises",
    title="OneScreen",
    order=4,
    title_key="nav.enterprise",
    nav_group="/chains",  # listed under the chains' entry with policies, reached by the industry tabs
    icon="bi-buildings",
    permission=Permission.VIEW_SCREENS,
)

PLACE_MAP = "enterprise-place-map"
MAX_ID = 64  # the contract's longest enterprise id


def _one(value: object, longest: int) -> str | None:
    """A query value as one string: a repeated parameter (a list) or an overlong one is
    tampered with and reads as none."""
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        return None
    return value.strip()


def _panel(title: str, body: Any, area: str, extra: Any = None) -> html.Section:
    return html.Section(
        [html.Header([html.H2(title), extra], className="os-panel-head"), body],
        className=f"os-panel os-ent-panel os-ent-area-{area}",
    )


def _origin(found: Profile, lang: str) -> html.Span:
    services = get_services()
    names = "、".join(services.sources.title(s, lang) for s in found.sources) or t("panel.no_source", lang)
    when = format_time(found.computed_at, services.settings.zone, "%H:%M")
    key = "enterprise.origin_stale" if found.stale else "enterprise.origin"
    return html.Span(
        t(key, lang, year=found.year or "—", source=names, time=when),
        className="os-panel-source" + (" os-late" if found.stale else ""),
    )


def _map(found: Profile, lang: str) -> Any:
    lon, lat = found.facts.get("lon"), found.facts.get("lat")
    around = surroundings(lon, lat) if lon is not None and lat is not None else None
    if around is None:
        return html.P(t("enterprise.no_place", lang), className="os-ent-muted")
    return place_map(PLACE_MAP, float(lon), float(lat), around, lang)  # type: ignore[arg-type]


def _nearby(found: Profile, lang: str) -> Any:
    zone = get_services().settings.zone
    try:
        around = nearby(found.facts.get("lon"), found.facts.get("lat"), current_principal())
    except SQLAlchemyError:
        return html.P(t("enterprise.nearby.unavailable", lang), className="text-warning")
    return nearby_panel(around, zone, lang)


def _policies(enterprise_id: str, lang: str) -> Any:
    """The policies in force that the firm qualifies for, nearly does or lacks the figures to
    judge (services/policies.py, matched once per change of the chain contracts)."""
    return policy_panel(policies_for(enterprise_id), lang, reason_text)


def profile_body(enterprise_id: str, lang: str) -> list:
    """The profile's panels, or words saying there is no such enterprise."""
    found = profile(enterprise_id)
    if found is None:
        return [
            html.Div(t("enterprise.missing", lang, id=enterprise_id), className="os-ent-notice", role="alert")
        ]
    year = found.year or "—"
    return [
        html.Div(
            [
                _panel(
                    t("enterprise.identity", lang),
                    identity_panel(found, lang),
                    "identity",
                    _origin(found, lang),
                ),
                _panel(t("enterprise.place", lang), _map(found, lang), "map"),
                _panel(t("enterprise.history", lang), history_charts(found.history, lang), "history"),
                _panel(
                    t("enterprise.compare.title", lang, year=year), comparison_panel(found, lang), "compare"
                ),
                _panel(t("enterprise.nearby.title", lang), _nearby(found, lang), "nearby"),
                _panel(t("enterprise.policies.title", lang), _policies(enterprise_id, lang), "policies"),
            ],
            className="os-ent-grid",
        )
    ]


def _results(text: str, lang: str) -> Any:
    return results(text, search(text, SHOWN) if text.strip() else largest(SHOWN), lang)


@requires(Permission.VIEW_SCREENS)
def layout(lang: str = "zh", id: object = None, q: object = None, **_query) -> html.Div:  # noqa: A002 - the URL's name
    lang = normalise(lang)
    text = _one(q, MAX_TEXT) or ""
    enterprise_id = _one(id, MAX_ID)
    body: list = []
    if enterprise_id is not None:
        body = profile_body(enterprise_id, lang)
    elif id is not None:  # ?id= given but empty, repeated or overlong
        body = [html.Div(t("enterprise.bad_id", lang), className="os-ent-notice", role="alert")]
    shown = _results(text, lang) if text or enterprise_id is None else None
    return html.Div(
        [
            economy_tabs("/enterprise", lang),
            html.Div(
                [search_box(lang, text), html.Div(shown, id=RESULTS)],
                className="os-ent-top" if enterprise_id is not None else "os-ent-top os-ent-top-alone",
            ),
            html.Div(body, className="os-ent-body"),
        ],
        className="os-page os-enterprise",
    )


@callback(
    Output(RESULTS, "children"),
    Input(GO, "n_clicks"),
    Input(QUERY, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def update_results(_clicks: object, text: object, lang: object):
    lang = normalise(lang if isinstance(lang, str) else None)
    text = text[:MAX_TEXT] if isinstance(text, str) else ""
    return _results(text, lang)
