"""Sources (数据源): every configured source with its health, and the latest rejected rows
with their reasons, so a person can see what a source sends wrong."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from locales import normalise, t
from services.context import get_services
from services.data import snapshot

dash.register_page(
    __name__,
    path="/sources",
    name="Sources",
    title="OneScreen",
    order=90,
    title_key="nav.sources",
    icon="bi-plug",
)

BODY = "sources-body"
TICK = "sources-tick"
STATUS_COLOUR = {"ok": "success", "degraded": "warning", "down": "danger", "unknown": "secondary"}


def _time(value, zone) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def make_body(lang: str) -> list:
    services = get_services()
    zone = services.settings.zone
    manager = services.sources
    rows = []
    for health in manager.health():
        serves = [c for c, name in manager.serving.items() if name == health.source]
        rows.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Div(manager.title(health.source, lang), className="fw-semibold"),
                            html.Small(health.source, className="text-body-secondary"),
                        ]
                    ),
                    html.Td(health.adapter),
                    html.Td(
                        dbc.Badge(t(f"status.{health.status}", lang), color=STATUS_COLOUR[health.status])
                    ),
                    html.Td(", ".join(t(f"contract.{c}", lang) for c in serves) or "—"),
                    html.Td(_time(health.last_success, zone)),
                    html.Td(f"{health.rows_accepted:,}", className="text-end"),
                    html.Td(f"{health.rows_rejected:,}", className="text-end"),
                    html.Td(health.last_error or "—", className="os-error-cell"),
                ]
            )
        )
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(f"sources.col.{c}", lang))
                for c in (
                    "name",
                    "adapter",
                    "status",
                    "serves",
                    "last_success",
                    "accepted",
                    "rejected",
                    "last_error",
                )
            ]
        )
    )
    rejected = []
    for health in manager.health():
        for r in manager.book.recent_rejections(health.source)[-50:]:
            rejected.append(
                html.Tr(
                    [
                        html.Td(r.source),
                        html.Td(r.contract),
                        html.Td(r.row),
                        html.Td(r.key or "—"),
                        html.Td(r.field),
                        html.Td(r.value),
                        html.Td(r.reason),
                    ]
                )
            )
    rejections = (
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(t(f"sources.rej.{c}", lang))
                            for c in ("source", "contract", "row", "key", "field", "value", "reason")
                        ]
                    )
                ),
                html.Tbody(rejected),
            ],
            size="sm",
            striped=True,
            className="os-table",
        )
        if rejected
        else html.P(t("sources.no_rejections", lang), className="text-body-secondary")
    )
    return [
        html.Section(
            [
                html.Header(html.H2(t("sources.title", lang)), className="os-panel-head"),
                dbc.Table([head, html.Tbody(rows)], hover=True, size="sm", className="os-table"),
            ],
            className="os-panel",
        ),
        html.Section(
            [html.Header(html.H2(t("sources.rejections", lang)), className="os-panel-head"), rejections],
            className="os-panel",
        ),
    ]


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    # Reading every served contract (cached) makes each source's health current on opening.
    for contract in list(get_services().sources.serving):
        snapshot(contract)
    return html.Div(
        [
            html.Div(make_body(lang), id=BODY, className="os-page-body os-scroll"),
            dcc.Interval(id=TICK, interval=30_000),
        ],
        className="os-page os-sources",
    )


@callback(
    Output(BODY, "children"),
    Input(TICK, "n_intervals"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
def update_body(_tick: int, lang: str):
    return make_body(normalise(lang))
