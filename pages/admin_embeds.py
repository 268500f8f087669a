"""Embedded panels (嵌入面板): an administrator issues a signed, expiring token that shows one
panel in another portal's iframe, sees the tokens issued and revokes one (refused from its next
request). Issuing and revoking are audited by security.embed_tokens in the transaction that
makes them. What the browser sends may be anything: a value the form cannot send gets a
message, never an error, and a refused form keeps what was typed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from flask import current_app, request

from components.admin_access import department_options
from components.admin_common import failure, panel, success
from components.economy_nav import admin_tabs
from components.embed_panels import EMBEDDABLE, check_params
from components.panels import PANELS
from locales import normalise, t
from security import embed_tokens
from security.guard import requires
from security.roles import Permission
from security.web_context import client_ip, current_principal
from services.context import get_services

dash.register_page(
    __name__,
    path="/admin/embeds",
    name="Embedded panels",
    title="OneScreen",
    order=97,
    nav_group="/admin",  # one entry in the shell: the admin tabs (components/economy_nav.py)
    title_key="nav.embeds",
    icon="bi-window-stack",
    permission=Permission.MANAGE_USERS,
)

PANEL = "embeds-panel"
DEPT = "embeds-dept"
LANG = "embeds-lang"
HOURS = "embeds-hours"
LABEL = "embeds-label"
ISSUE = "embeds-issue"
NOTICE = "embeds-notice"
LIST = "embeds-list"
PICK = "embeds-pick"
REVOKE = "embeds-revoke"
DEFAULT_HOURS = 24 * 30


def _state(row: Any, now: datetime) -> str:
    return "revoked" if row["revoked_at"] else "expired" if row["expires_at"] <= now else "valid"


def _rows(lang: str) -> tuple[html.Table, list[dict]]:
    """The tokens as a table, and the ones still open as the revoke list's options."""
    now = datetime.now(UTC)
    zone = get_services().settings.zone
    keys = ("id", "panel", "params", "label", "created_by", "expires", "state")
    head = html.Thead(html.Tr([html.Th(t(f"embeds.col.{k}", lang)) for k in keys]))
    body, open_tokens = [], []
    for row in embed_tokens.list_tokens(get_services().engine):
        state = _state(row, now)
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items() if v)
        name = t(PANELS[row["panel"]].title_key, lang) if row["panel"] in PANELS else row["panel"]
        cells = (row["pk"], name, params, row["label"], row["created_by"],
                 row["expires_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"), t(f"embeds.state.{state}", lang))  # fmt: skip
        body.append(html.Tr([html.Td(c) for c in cells], className=f"os-embed-{state}"))
        if state == "valid":
            open_tokens.append({"label": f"{row['pk']} · {name} · {row['label']}", "value": row["pk"]})
    table = html.Table([head, html.Tbody(body)], className="table table-sm os-embeds-table")
    return table, open_tokens


def _form(lang: str, open_tokens: list[dict]) -> html.Div:
    def field(key: str, control: Any) -> html.Div:
        return html.Div([dbc.Label(t(f"embeds.{key}", lang)), control], className="mb-2")

    panels = [{"label": t(PANELS[p].title_key, lang), "value": p} for p in EMBEDDABLE]
    return html.Div(
        [
            html.H3(t("embeds.new", lang)),
            field("panel", dcc.Dropdown(id=PANEL, options=panels, value=EMBEDDABLE[0], clearable=False)),
            field(
                "department",
                dcc.Dropdown(
                    id=DEPT, options=department_options(lang), placeholder=t("embeds.whole_park", lang)
                ),
            ),  # fmt: skip
            field(
                "lang",
                dbc.RadioItems(
                    id=LANG,
                    options=[{"label": "中文", "value": "zh"}, {"label": "English", "value": "en"}],
                    value=lang,
                    inline=True,
                ),
            ),  # fmt: skip
            field(
                "hours",
                dbc.Input(
                    id=HOURS, type="number", min=1, max=embed_tokens.MAX_HOURS, step=1, value=DEFAULT_HOURS
                ),
            ),  # fmt: skip
            field("label", dbc.Input(id=LABEL, type="text", maxLength=100)),
            dbc.Button(t("embeds.issue", lang), id=ISSUE, color="primary", className="mb-3"),
            html.H3(t("embeds.revoke_title", lang)),
            dcc.Dropdown(id=PICK, options=open_tokens, placeholder=t("embeds.pick", lang)),
            dbc.Button(t("embeds.revoke", lang), id=REVOKE, color="danger", outline=True, className="mt-2"),
        ],
        className="os-embeds-form",
    )


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    table, open_tokens = _rows(lang)
    return html.Div(
        [
            admin_tabs("/admin/embeds", lang),
            html.Div(id=NOTICE, className="os-notice"),
            panel(
                t("embeds.title", lang),
                html.Div(
                    [html.Div(table, id=LIST, className="os-embeds-list"), _form(lang, open_tokens)],
                    className="os-admin-split",
                ),  # fmt: skip
                aside=html.Span(t("embeds.hint", lang), className="os-panel-source"),
            ),
        ],
        className="os-page os-admin-embeds",
    )


def _issued(token: str, pk: int, label: str, lang: str) -> dbc.Alert:
    """The address and the iframe to paste into the portal's page."""
    address = f"{request.host_url.rstrip('/')}/embed/{token}"
    snippet = (
        f'<iframe src="{address}" title="OneScreen" width="800" height="450" style="border: 0"></iframe>'
    )
    return dbc.Alert(
        [
            html.Div(
                [
                    html.I(className="bi bi-check-circle me-2"),
                    html.Strong(t("embeds.issued", lang, id=pk, label=label)),
                ]
            ),  # fmt: skip
            html.Div(t("embeds.address", lang), className="mt-2"),
            html.Code(address, className="os-token d-block"),
            html.Div(t("embeds.snippet", lang), className="mt-2"),
            html.Code(snippet, className="os-token d-block"),
        ],
        color="success",
        dismissable=True,
    )


@callback(
    Output(NOTICE, "children"),
    Output(LIST, "children"),
    Output(PICK, "options"),
    Output(LABEL, "value"),
    Input(ISSUE, "n_clicks"),
    State(PANEL, "value"),
    State(DEPT, "value"),
    State(LANG, "value"),
    State(HOURS, "value"),
    State(LABEL, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_USERS)
def issue_embed(
    _clicks: Any, panel_id: Any, department: Any, token_lang: Any, hours: Any, label: Any, lang: Any
):
    lang = normalise(lang)
    if isinstance(hours, float) and hours.is_integer():
        hours = int(hours)  # a number field may send 720.0
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= embed_tokens.MAX_HOURS:
        return failure(lang, "embeds.refused", t("embeds.bad_hours", lang, most=embed_tokens.MAX_HOURS)), \
            no_update, no_update, no_update  # fmt: skip
    if not isinstance(panel_id, str):
        return failure(lang, "embeds.refused", t("embeds.bad_panel", lang)), no_update, no_update, no_update
    params = {"department": department, "lang": token_lang}
    principal = current_principal()
    try:
        token, pk = embed_tokens.issue(get_services().engine, current_app.config["SECRET_KEY"], panel_id, params,
                                       hours=hours, label=label if isinstance(label, str) else "",
                                       actor=principal.name, check_params=check_params, ip=client_ip())  # fmt: skip
    except embed_tokens.EmbedTokenError as problem:
        return failure(lang, "embeds.refused", str(problem)), no_update, no_update, no_update
    table, open_tokens = _rows(lang)
    return _issued(token, pk, label.strip(), lang), table, open_tokens, ""


@callback(
    Output(NOTICE, "children", allow_duplicate=True),
    Output(LIST, "children", allow_duplicate=True),
    Output(PICK, "options", allow_duplicate=True),
    Output(PICK, "value"),
    Input(REVOKE, "n_clicks"),
    State(PICK, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_USERS)
def revoke_embed(_clicks: Any, token_id: Any, lang: Any):
    lang = normalise(lang)
    if isinstance(token_id, bool) or not isinstance(token_id, int):
        return failure(lang, "embeds.refused", t("embeds.pick", lang)), no_update, no_update, no_update
    try:
        embed_tokens.revoke(get_services().engine, token_id, actor=current_principal().name, ip=client_ip())
    except embed_tokens.EmbedTokenError as problem:
        return failure(lang, "embeds.refused", str(problem)), no_update, no_update, no_update
    table, open_tokens = _rows(lang)
    return success(t("embeds.revoked", lang, id=token_id)), table, open_tokens, None
