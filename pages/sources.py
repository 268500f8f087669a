"""Sources (数据源): every configured source with its health, what each contract's latest
batch delivered, and the latest rejected rows with their reasons, so a person can see what a
source sends wrong."""

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
REFRESH_MS = 30_000
SHOWN_REJECTIONS = 12  # the newest; the page fits one screen
STATUS_COLOUR = {"ok": "success", "degraded": "warning", "down": "danger", "unknown": "secondary"}
SOURCE_COLUMNS = ("name", "adapter", "status", "last_success", "accepted", "rejected", "last_error")
BATCH_COLUMNS = ("source", "contract", "accepted", "rejected")
REJECTION_COLUMNS = ("source", "contract", "row", "key", "field", "value", "reason")


def _time(value, zone) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _table(columns: tuple[str, ...], prefix: str, rows: list, lang: str) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(t(f"{prefix}.{c}", lang)) for c in columns]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="os-table")


def _section(title: str, body) -> html.Section:
    return html.Section([html.Header(html.H2(title), className="os-panel-head"), body], className="os-panel")


def make_body(lang: str) -> list:
    services = get_services()
    zone = services.settings.zone
    manager = services.sources
    healths = manager.health()
    source_rows, batch_rows, rejection_rows = [], [], []
    for h in healths:
        source_rows.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Div(manager.title(h.source, lang), className="fw-semibold"),
                            html.Small(h.source, className="text-body-secondary"),
                        ]
                    ),
                    html.Td(h.adapter),
                    html.Td(dbc.Badge(t(f"status.{h.status}", lang), color=STATUS_COLOUR[h.status])),
                    html.Td(_time(h.last_success, zone)),
                    html.Td(f"{h.rows_accepted:,}", className="text-end"),
                    html.Td(f"{h.rows_rejected:,}", className="text-end"),
                    html.Td(h.last_error or "—", className="os-error-cell"),
                ]
            )
        )
        for contract, accepted, rejected in h.batches:
            batch_rows.append(
                html.Tr(
                    [
                        html.Td(manager.title(h.source, lang)),
                        html.Td(t(f"contract.{contract}", lang)),
                        html.Td(f"{accepted:,}", className="text-end"),
                        html.Td(f"{rejected:,}", className="text-end"),
                    ]
                )
            )
        for r in manager.book.recent_rejections(h.source):
            values = (
                r.source,
                t(f"contract.{r.contract}", lang),
                r.row,
                r.key or "—",
                r.field,
                r.value,
                r.reason,
            )
            rejection_rows.append(html.Tr([html.Td(v) for v in values]))
    shown = rejection_rows[-SHOWN_REJECTIONS:]
    rejections = (
        _table(REJECTION_COLUMNS, "sources.rej", shown, lang)
        if shown
        else html.P(t("sources.no_rejections", lang), className="text-body-secondary mb-0")
    )
    return [
        _section(t("sources.title", lang), _table(SOURCE_COLUMNS, "sources.col", source_rows, lang)),
        _section(t("sources.batches", lang), _table(BATCH_COLUMNS, "sources.batch", batch_rows, lang)),
        _section(t("sources.rejections", lang, shown=len(shown), total=len(rejection_rows)), rejections),
    ]


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    # Reading every served contract (cached) makes each source's health current on opening.
    for contract in list(get_services().sources.serving):
        snapshot(contract)
    return html.Div(
        [
            html.Div(make_body(lang), id=BODY, className="os-page-body"),
            dcc.Interval(id=TICK, interval=REFRESH_MS),
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
