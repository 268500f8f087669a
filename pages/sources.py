"""Sources (数据源): every configured source with its health, what each contract's latest
batch delivered, and the newest rejected rows with their reasons, so a person can see what a
source sends wrong; a source can be checked now."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from components.timefmt import format_time
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.web_context import audit_request, current_principal
from services.context import get_services

dash.register_page(
    __name__,
    path="/sources",
    name="Sources",
    title="OneScreen",
    order=90,
    title_key="nav.sources",
    icon="bi-plug",
    permission=Permission.VIEW_SOURCES,
)

BODY = "sources-body"
CHECK = "sources-check"
NOTICE = "sources-notice"
TICK = "sources-tick"
REFRESH_MS = 30_000
SHOWN_REJECTIONS = 12  # the newest; the page fits one screen
STATUS_COLOUR = {"ok": "success", "degraded": "warning", "down": "danger", "unknown": "secondary"}
NUMERIC = {"accepted", "rejected", "row", "failures"}
SOURCE_COLUMNS = ("name", "adapter", "status", "last_success", "accepted", "rejected", "last_error", "action")
BATCH_COLUMNS = ("source", "contract", "accepted", "rejected", "failures", "status")
REJECTION_COLUMNS = ("source", "contract", "row", "key", "field", "value", "reason")


def _table(columns: tuple[str, ...], prefix: str, rows: list[tuple], lang: str) -> dbc.Table:
    head = html.Tr(
        [html.Th(t(f"{prefix}.{c}", lang), className="text-end" if c in NUMERIC else None) for c in columns]
    )
    body = [
        html.Tr(
            [
                html.Td(v, className="text-end" if c in NUMERIC else None)
                for c, v in zip(columns, row, strict=True)
            ]
        )
        for row in rows
    ]
    return dbc.Table([html.Thead(head), html.Tbody(body)], size="sm", hover=True, className="os-table")


def _section(title: str, body) -> html.Section:
    return html.Section([html.Header(html.H2(title), className="os-panel-head"), body], className="os-panel")


def _badge(status: str, lang: str) -> dbc.Badge:
    return dbc.Badge(t(f"status.{status}", lang), color=STATUS_COLOUR[status])


def make_body(lang: str) -> list:
    services = get_services()
    zone = services.settings.zone
    manager = services.sources
    sources, batches, rejections = [], [], []
    may_check = current_principal().can(Permission.MANAGE_SOURCES)  # the server checks again on click
    for h in manager.health():
        title = manager.title(h.source, lang)
        name = [
            html.Div(title, className="fw-semibold"),
            html.Small(h.source, className="text-body-secondary"),
        ]
        error = html.Span(h.last_error or "—", className="os-error-cell")
        row = (name, h.adapter, _badge(h.status, lang), format_time(h.last_success, zone),
               f"{h.rows_accepted:,}", f"{h.rows_rejected:,}", error)  # fmt: skip
        if may_check:
            button = dbc.Button(
                [html.I(className="bi bi-arrow-repeat me-1"), t("sources.check", lang)],
                id={"type": CHECK, "source": h.source},
                size="sm",
                color="secondary",
                outline=True,
            )
            row = (*row, button)
        sources.append(row)
        for contract, accepted, rejected, failures, down in h.batches:
            state = "down" if down else "degraded" if failures or rejected else "ok"
            batches.append(
                (
                    title,
                    t(f"contract.{contract}", lang),
                    f"{accepted:,}",
                    f"{rejected:,}",
                    failures,
                    _badge(state, lang),
                )
            )
        # each source's rejections come oldest first; its latest read orders it among the others
        attempt = h.last_attempt.timestamp() if h.last_attempt else 0.0
        rejections += [(attempt, i, title, r) for i, r in enumerate(manager.recent_rejections(h.source))]
    newest = [
        (title, r)
        for _, _, title, r in sorted(rejections, key=lambda item: item[:2])[-SHOWN_REJECTIONS:][::-1]
    ]
    rows = [
        (title, t(f"contract.{r.contract}", lang), r.row, r.key or "—", r.field, r.value, r.reason)
        for title, r in newest
    ]
    rejected = (
        _table(REJECTION_COLUMNS, "sources.rej", rows, lang)
        if rows
        else html.P(t("sources.no_rejections", lang), className="text-body-secondary mb-0")
    )
    return [
        _section(
            t("sources.title", lang),
            # the action column only for those who may act (the server refuses the others anyway)
            _table(SOURCE_COLUMNS if may_check else SOURCE_COLUMNS[:-1], "sources.col", sources, lang),
        ),
        _section(t("sources.batches", lang), _table(BATCH_COLUMNS, "sources.batch", batches, lang)),
        _section(t("sources.rejections", lang, shown=len(rows), total=len(rejections)), rejected),
    ]


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    return html.Div(
        [
            html.Div(id=NOTICE, className="os-notice"),
            html.Div(make_body(lang), id=BODY, className="os-page-body os-scroll"),
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
@requires(Permission.VIEW_SOURCES)
def update_body(_tick: int, lang: str):
    return make_body(normalise(lang))


@callback(
    Output(BODY, "children", allow_duplicate=True),
    Output(NOTICE, "children"),
    Input({"type": CHECK, "source": ALL}, "n_clicks"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_SOURCES)
def on_check(clicks: list, lang: str):
    """Read a source now. The source comes from the clicked button's id, which a browser can
    forge: a name that is not configured gets a message, never an error."""
    lang = normalise(lang)
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not any(clicks or []):
        return no_update, no_update
    name = str(clicked.get("source", ""))
    services = get_services()
    try:
        health = services.snapshots.check(name)
        audit_request("source.check", target=f"source:{name[:100]}", detail={"status": health.status})
    except KeyError:
        return no_update, dbc.Alert(
            t("sources.unknown_source", lang, name=name[:64]), color="warning", dismissable=True
        )
    message = t(
        "sources.checked",
        lang,
        name=services.sources.title(name, lang),
        status=t(f"status.{health.status}", lang),
    )
    return make_body(lang), dbc.Alert(
        message, color=STATUS_COLOUR[health.status], dismissable=True, duration=6000
    )
