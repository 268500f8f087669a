"""Sources (数据源): every configured source with its health, what each contract's latest
batch delivered, and the latest rejected rows with their reasons, so a person can see what a
source sends wrong."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from locales import normalise, t
from services.context import get_services

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
CHECK = "sources-check"
NOTICE = "sources-notice"
TICK = "sources-tick"
REFRESH_MS = 30_000
SHOWN_REJECTIONS = 12  # the newest; the page fits one screen
NUMERIC = {"accepted", "rejected", "row"}
STATUS_COLOUR = {"ok": "success", "degraded": "warning", "down": "danger", "unknown": "secondary"}
SOURCE_COLUMNS = ("name", "adapter", "status", "last_success", "accepted", "rejected", "last_error", "action")
BATCH_COLUMNS = ("source", "contract", "accepted", "rejected")
REJECTION_COLUMNS = ("source", "contract", "row", "key", "field", "value", "reason")


def _time(value, zone) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _table(columns: tuple[str, ...], prefix: str, rows: list, lang: str) -> dbc.Table:
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(f"{prefix}.{c}", lang), className="text-end" if c in NUMERIC else None)
                for c in columns
            ]
        )
    )
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
                    html.Td(
                        dbc.Button(
                            [html.I(className="bi bi-arrow-repeat me-1"), t("sources.check", lang)],
                            id={"type": CHECK, "source": h.source},
                            size="sm",
                            color="secondary",
                            outline=True,
                        )
                    ),
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
            rejection_rows.append(
                html.Tr(
                    [
                        html.Td(v, className="text-end" if c in NUMERIC else None)
                        for c, v in zip(REJECTION_COLUMNS, values, strict=True)
                    ]
                )
            )
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


@callback(
    Output(BODY, "children", allow_duplicate=True),
    Output(NOTICE, "children"),
    Input({"type": CHECK, "source": ALL}, "n_clicks"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
def on_check(_clicks: list, lang: str):
    """Read a source now. The source comes from the clicked button's id, which a browser can
    forge: a name that is not configured gets a message, never an error."""
    lang = normalise(lang)
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not any(_clicks or []):
        return no_update, no_update
    name = str(clicked.get("source", ""))
    try:
        health = get_services().sources.check(name)
    except KeyError:
        return no_update, dbc.Alert(
            t("sources.unknown_source", lang, name=name[:64]), color="warning", dismissable=True
        )
    return make_body(lang), dbc.Alert(
        t(
            "sources.checked",
            lang,
            name=get_services().sources.title(name, lang),
            status=t(f"status.{health.status}", lang),
        ),
        color=STATUS_COLOUR[health.status],
        dismissable=True,
        duration=6000,
    )
