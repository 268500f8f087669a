"""The industry chains (一条链): each chain's links as a graph by stage, coloured by how well the
park fills them, with the ranked investment-attraction targets beside it (empty links to fill,
weak ones to strengthen, each with its reasons and the figures behind them). A link, picked on
the graph or in the list, shows its figures and enterprises, each opening its profile. The view
is the URL (?chain=&link=), so a link to it can be shared; the page draws again when the chain
data changes (a sync or an import), never rearranging the graph."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from components.chain_graph import GRAPH, STAGES, chain_graph, legend, stylesheet
from components.chain_targets import chain_href, link_panel, target_list
from components.chain_words import change, count, money, name_of
from components.economy_nav import economy_tabs
from components.shell import THEME
from components.timefmt import format_time
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from services.chains import ChainView, chain_view, link_enterprises
from services.context import get_services

dash.register_page(
    __name__,
    path="/chains",
    name="Chains",
    title="OneScreen",
    order=3,
    title_key="nav.chains",
    icon="bi-diagram-3",
    permission=Permission.VIEW_SCREENS,
)

NAV = "chains-nav"
STATE = "chains-state"
TICK = "chains-tick"
BODY = "chains-body"
STAMP = "chains-stamp"
TICK_S = 60  # chain figures are yearly statistics: a minute is prompt for a sync's changes


def _pick(view: ChainView, chain: object, link: object) -> tuple[str | None, str | None, str | None]:
    """(chain, link, notice key) from the URL's values, each checked against the data: a
    tampered or stale address shows the first chain and says why, never an error."""
    chains = list(view.summary["chain"]) if not view.summary.empty else []
    notice = None
    wanted = chain if isinstance(chain, str) and chain else None
    picked_link = link if isinstance(link, str) and link else None
    if picked_link is not None:
        row = view.links[view.links["link"] == picked_link]
        if row.empty:
            notice, picked_link = "chain.unknown_link", None
        elif wanted is None or wanted != row["chain"].iloc[0]:
            wanted = str(row["chain"].iloc[0])  # a link names its chain
    if wanted is not None and wanted not in chains:
        notice, wanted = "chain.unknown_chain", None
    return (wanted or (chains[0] if chains else None)), picked_link, notice


def _tabs(view: ChainView, current: str, lang: str) -> html.Nav:
    tabs = []
    for row in view.summary.to_dict("records"):
        words = t("chain.tab_figures", lang, filled=row["filled"], links=row["links"], empty=row["empty"],
                  weak=row["weak"])  # fmt: skip
        tabs.append(
            dcc.Link(
                [
                    html.Span(name_of(row, lang, "chain_name"), className="os-chain-tab-name"),
                    html.Span(words, className="os-chain-tab-figures"),
                ],  # fmt: skip
                href=chain_href(row["chain"]),
                className="os-chain-tab" + (" active" if row["chain"] == current else ""),
            )
        )
    return html.Nav(tabs, className="os-chain-tabs")


def _origin(view: ChainView, computed_at: Any, lang: str) -> str:
    services = get_services()
    names = "、".join(services.sources.title(s, lang) for s in view.sources) or t("panel.no_source", lang)
    when = format_time(computed_at, services.settings.zone, "%H:%M")
    key = "chain.origin_stale" if view.stale else "chain.origin"
    return t(key, lang, year=view.year or "—", source=names, time=when)


def _economy(view: ChainView, chain: str, lang: str) -> str:
    """The chain's enterprises, revenue, tax and employees with their like-for-like growth."""
    rows = view.economy[view.economy["chain"] == chain]
    if rows.empty:
        return ""
    e = rows.iloc[0]
    return t("chain.economy", lang, firms=count(e["enterprises"]), revenue=money(e["revenue"], lang),
             revenue_growth=change(e["revenue_growth"]), tax=money(e["tax"], lang), tax_growth=change(e["tax_growth"]),
             employees=count(e["employees"]), employees_growth=change(e["employees_growth"]))  # fmt: skip


def body(chain: object, link: object, lang: str, theme: str = "wall") -> list:
    cached = chain_view()
    view = cached.value
    current, picked, notice = _pick(view, chain, link)
    if current is None:
        return [html.P(t("chain.no_chains", lang), className="os-empty")]
    links = view.links[view.links["chain"] == current]
    names = {row["link"]: name_of(row, lang) for row in view.links.to_dict("records")}
    if picked is not None:
        row = links[links["link"] == picked].iloc[0].to_dict()
        side = link_panel(row, link_enterprises(view, picked), lang)
    else:
        side = target_list(view.targets[view.targets["chain"] == current], names, lang)
    chain_row = view.summary[view.summary["chain"] == current].iloc[0].to_dict()
    stage_heads = html.Div(
        [html.Span(t(f"chain.stage.{s}", lang)) for s in STAGES], className="os-chain-stages"
    )
    graph = html.Section(
        [
            html.Div(
                [
                    html.H2(name_of(chain_row, lang, "chain_name")),
                    html.Div(legend(lang), className="os-chain-legend"),
                ],
                className="os-panel-head",
            ),
            html.P(_economy(view, current, lang), className="os-chain-economy"),
            stage_heads,
            html.Div(chain_graph(links, lang, theme, picked), className="os-chain-graph-box"),
        ],
        className="os-panel os-chain-graph-panel",
    )
    return [
        html.Div(
            [
                _tabs(view, current, lang),
                html.Span(_origin(view, cached.computed_at, lang), className="os-chain-origin"),
            ],
            className="os-chain-toolbar",
        ),  # fmt: skip
        html.Div(t(notice, lang), className="os-chain-notice", role="alert") if notice else None,
        html.Div([graph, side], className="os-chains-main"),
    ]


def _stamp(versions: dict[str, int]) -> str:
    """The data versions the view was computed at: the page draws again when they move."""
    return ",".join(f"{k}={v}" for k, v in sorted(versions.items()))


@requires(Permission.VIEW_SCREENS)
def layout(lang: str = "zh", chain: object = None, link: object = None, **_query) -> html.Div:
    lang = normalise(lang)
    return html.Div(
        [
            economy_tabs("/chains", lang),
            dcc.Location(id=NAV, refresh="callback-nav"),
            dcc.Store(
                id=STATE,
                data={
                    "chain": chain if isinstance(chain, str) else None,
                    "link": link if isinstance(link, str) else None,
                },
            ),  # fmt: skip
            dcc.Store(id=STAMP, data=_stamp(chain_view().versions)),
            dcc.Interval(id=TICK, interval=TICK_S * 1000),
            html.Div(body(chain, link, lang), id=BODY),
        ],
        className="os-chains-page",
    )


@callback(Output(GRAPH, "stylesheet"), Input(THEME, "value"))
@requires(Permission.VIEW_SCREENS)
def theme_graph(theme: object):
    return stylesheet(theme if theme in ("wall", "desk") else "wall")


@callback(
    Output(NAV, "href"),
    Input(GRAPH, "tapNodeData"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def open_chain_link(tapped: object, state: object):
    """A tap on a link opens it (the URL changes, so the way back is the browser's too)."""
    if not isinstance(tapped, dict) or not isinstance(tapped.get("id"), str):
        return no_update
    view = chain_view().value
    row = view.links[view.links["link"] == tapped["id"]]
    if row.empty:  # a tampered tap: nothing to open
        return no_update
    return chain_href(str(row["chain"].iloc[0]), tapped["id"])


@callback(
    Output(BODY, "children"),
    Output(STAMP, "data"),
    Input(TICK, "n_intervals"),
    State(STAMP, "data"),
    State(STATE, "data"),
    State("shell-lang", "value"),
    State(THEME, "value"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_SCREENS)
def redraw_chains(_tick: int, stamp: object, state: object, lang: object, theme: object):
    """Draw again only when the chain data changed since the page was drawn."""
    now = _stamp(chain_view().versions)
    if now == stamp:
        return no_update, no_update
    picked = state if isinstance(state, dict) else {}
    shown = theme if theme in ("wall", "desk") else "wall"
    return body(picked.get("chain"), picked.get("link"), normalise(str(lang or "")), shown), now
