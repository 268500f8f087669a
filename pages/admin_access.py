"""Users and tokens (用户与令牌): who may sign in and with which roles (and department), and
the API tokens other portals use — created, changed, disabled, unlocked, issued and revoked by
an administrator. Every change is audited by security/ in the transaction that makes it.

What the browser sends may be anything: a value the forms cannot send gets a message, never
an error; a refused change keeps what was typed."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, html, no_update

from components import admin_access as check
from components import admin_access_forms as ui
from components.admin_access import InputError, token_rows, user_rows
from components.admin_common import (
    DROPDOWN_CODE,
    GRID_CODE,
    column,
    failure,
    grid,
    load_with_the_app,
    panel,
    success,
    warning,
)
from components.economy_nav import admin_tabs
from locales import normalise, t
from security import tokens, users
from security.guard import requires
from security.roles import Permission, Role
from security.tokens import TokenError
from security.users import UserError
from security.web_context import client_ip, current_principal
from services.context import get_services

dash.register_page(
    __name__,
    path="/admin/access",
    name="Users and tokens",
    title="OneScreen",
    order=96,
    nav_group="/admin",  # one entry in the shell: the admin tabs (components/economy_nav.py)
    title_key="nav.access",
    icon="bi-people",
    permission=Permission.MANAGE_USERS,
)
load_with_the_app(DROPDOWN_CODE, GRID_CODE)  # drawn with the layout, not after it (admin_common)

USER_COLUMNS = (
    "username",
    "display_name",
    "roles",
    "department",
    "demo",
    "disabled",
    "locked_until",
    "last_login",
)
TOKEN_COLUMNS = ("id", "client", "role", "department", "prefix", "created_by", "created_at", "expires",
                 "last_used", "revoked")  # fmt: skip
TIMES = {"locked_until", "last_login", "created_at", "expires", "last_used", "revoked"}
WIDTHS = {"id": 80, "demo": 100, "disabled": 100, "prefix": 130}
# a token's client and role are what an admin reads first: never cut to three letters ("Park l…")
MIN_WIDTHS = {"client": 125, "role": 115}


def _columns(names: tuple[str, ...], flag: str, lang: str) -> list[dict]:
    columns = []
    for name in names:
        extra = {"width": WIDTHS[name]} if name in WIDTHS else {"flex": 1}
        if name in TIMES:
            extra["minWidth"] = 140
        if name in MIN_WIDTHS:
            extra["minWidth"] = MIN_WIDTHS[name]
        if name in ("disabled", "revoked"):
            extra["cellClassRules"] = {"os-flag-off": f"params.data.{flag} == true"}
        columns.append(column(name, t(f"access.col.{name}", lang), **extra))
    return columns


def _users(lang: str) -> list[dict]:
    services = get_services()
    return user_rows(services.engine, lang, services.settings.zone)


def _tokens(lang: str) -> list[dict]:
    services = get_services()
    return token_rows(services.engine, lang, services.settings.zone)


def layout(lang: str = "zh", **_query) -> html.Div:
    lang = normalise(lang)
    users_grid = grid(ui.USERS_GRID, _columns(USER_COLUMNS, "disabled_code", lang), _users(lang), lang,
                      row_id="username", selectable=True)  # fmt: skip
    tokens_grid = grid(ui.TOKENS_GRID, _columns(TOKEN_COLUMNS, "revoked_code", lang), _tokens(lang), lang,
                       row_id="rid", selectable=True)  # fmt: skip
    return html.Div(
        [
            admin_tabs("/admin/access", lang),
            html.Div(id=ui.NOTICE, className="os-notice"),
            html.Div(
                [
                    panel(
                        t("access.users", lang),
                        html.Div(
                            [
                                html.Div(users_grid, className="os-grid-box"),
                                ui.new_user_form(lang),
                                ui.selected_user_form(lang),
                            ],
                            className="os-admin-split",
                        ),
                        aside=html.Span(t("access.users_hint", lang), className="os-panel-source"),
                    ),
                    panel(
                        t("access.tokens", lang),
                        html.Div(
                            [
                                html.Div(tokens_grid, className="os-grid-box"),
                                ui.issue_token_form(lang),
                                ui.token_actions(lang),
                            ],
                            className="os-admin-split",
                        ),
                        aside=html.Span(t("access.tokens_hint", lang), className="os-panel-source"),
                    ),
                ],
                className="os-admin-stack",
            ),
        ],
        className="os-page os-admin os-admin-access",
    )


def _actor() -> dict:
    return {"actor": current_principal().name, "ip": client_ip()}


KEEP = (no_update,) * 6  # a refused form keeps what was typed


@callback(
    Output(ui.USERS_GRID, "rowData"),
    Output(ui.NOTICE, "children"),
    Output(ui.NEW_USERNAME, "value"),
    Output(ui.NEW_DISPLAY, "value"),
    Output(ui.NEW_ROLES, "value"),
    Output(ui.NEW_DEPT, "value"),
    Output(ui.NEW_PW, "value"),
    Output(ui.NEW_PW2, "value"),
    Input(ui.CREATE, "n_clicks"),
    State(ui.NEW_USERNAME, "value"),
    State(ui.NEW_DISPLAY, "value"),
    State(ui.NEW_ROLES, "value"),
    State(ui.NEW_DEPT, "value"),
    State(ui.NEW_PW, "value"),
    State(ui.NEW_PW2, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_USERS)
def on_create(clicks, username, display, roles, department, password, confirm, lang):
    lang = normalise(lang)
    if not clicks:
        return no_update, no_update, *KEEP
    try:
        name = check.text(username, "username", 64).lower()
        shown = check.text(display, "display_name", 100, required=False)
        chosen = check.roles(roles)
        dept = check.department(department, chosen)
        secret = check.password(password)
        if secret != check.password(confirm):
            raise InputError("access.mismatch")
        users.create_user(get_services().engine, name, chosen, password=secret, display_name=shown or None,
                          department=dept, **_actor())  # fmt: skip
    except InputError as problem:
        return no_update, warning(problem.message(lang)), *KEEP
    except UserError as problem:
        return no_update, failure(lang, "access.user_failed", str(problem)), *KEEP
    return _users(lang), success(t("access.created", lang, name=name)), "", "", [], None, "", ""


@callback(
    Output(ui.SELECTED, "children"),
    Output(ui.EDIT_ROLES, "value"),
    Output(ui.EDIT_DEPT, "value"),
    Input(ui.USERS_GRID, "selectedRows"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_USERS)
def on_select(rows, lang):
    """Fill the selected user's form from the store (not from the row the browser sent)."""
    lang = normalise(lang)
    name = check.selected(rows, "username")
    row = users.find(get_services().engine, name) if isinstance(name, str) and len(name) <= 64 else None
    if row is None:
        return t("access.none_selected", lang), [], None
    label = f"{row['display_name']} ({row['username']})"
    return label, [r for r in row["roles"].split(",") if r], row["department"]


def _user_action(action, name: str, roles, department, password, confirm, lang: str) -> str:
    """Do `action` to the user `name`; returns the success message. Raises InputError or UserError."""
    engine, me = get_services().engine, current_principal().name
    if action == ui.SAVE_ROLES:
        chosen = check.roles(roles)
        dept = check.department(department, chosen)
        if name == me and Role.ADMIN.value not in chosen:
            raise InputError("access.self_admin")
        users.set_roles(engine, name, chosen, department=dept, **_actor())
        message = t("access.roles_saved", lang, name=name)
    elif action == ui.RESET_PW:
        secret = check.password(password)
        if secret != check.password(confirm):
            raise InputError("access.mismatch")
        users.set_password(engine, name, secret, **_actor())
        message = t("access.password_set", lang, name=name)
    elif action in (ui.DISABLE, ui.ENABLE):
        if name == me and action == ui.DISABLE:
            raise InputError("access.self_disable")
        users.set_disabled(engine, name, action == ui.DISABLE, **_actor())
        message = t("access.disabled" if action == ui.DISABLE else "access.enabled", lang, name=name)
    else:
        users.unlock(engine, name, **_actor())
        message = t("access.unlocked", lang, name=name)
    if name == me and action in (ui.SAVE_ROLES, ui.RESET_PW):
        message += " " + t("access.self_signed_out", lang)
    return message


@callback(
    Output(ui.USERS_GRID, "rowData", allow_duplicate=True),
    Output(ui.NOTICE, "children", allow_duplicate=True),
    Output(ui.EDIT_PW, "value"),
    Output(ui.EDIT_PW2, "value"),
    Input(ui.SAVE_ROLES, "n_clicks"),
    Input(ui.RESET_PW, "n_clicks"),
    Input(ui.DISABLE, "n_clicks"),
    Input(ui.ENABLE, "n_clicks"),
    Input(ui.UNLOCK, "n_clicks"),
    State(ui.USERS_GRID, "selectedRows"),
    State(ui.EDIT_ROLES, "value"),
    State(ui.EDIT_DEPT, "value"),
    State(ui.EDIT_PW, "value"),
    State(ui.EDIT_PW2, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_USERS)
def on_user_action(
    _save, _reset, _disable, _enable, _unlock, rows, roles, department, password, confirm, lang
):
    lang = normalise(lang)
    action = ctx.triggered_id
    if action not in (ui.SAVE_ROLES, ui.RESET_PW, ui.DISABLE, ui.ENABLE, ui.UNLOCK) or not ctx.triggered[
        0
    ].get("value"):
        return no_update, no_update, no_update, no_update
    try:
        name = check.selected_user(rows)
        message = _user_action(action, name, roles, department, password, confirm, lang)
    except InputError as problem:
        return no_update, warning(problem.message(lang)), no_update, no_update
    except UserError as problem:
        return no_update, failure(lang, "access.user_failed", str(problem)), no_update, no_update
    cleared = "" if action == ui.RESET_PW else no_update
    return _users(lang), success(message), cleared, cleared


@callback(
    Output(ui.TOKENS_GRID, "rowData"),
    Output(ui.TOKEN_BOX, "children"),
    Output(ui.NOTICE, "children", allow_duplicate=True),
    Output(ui.CLIENT, "value"),
    Input(ui.ISSUE, "n_clicks"),
    State(ui.CLIENT, "value"),
    State(ui.TOKEN_ROLE, "value"),
    State(ui.TOKEN_DEPT, "value"),
    State(ui.TOKEN_DAYS, "value"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_USERS)
def on_issue(clicks, client, role, department, days, lang):
    """Issue a token and show it this once."""
    lang = normalise(lang)
    if not clicks:
        return no_update, no_update, no_update, no_update
    try:
        name = check.text(client, "client", 100)
        chosen = check.token_role(role)
        dept = check.department(department, [chosen])
        expires = check.days(days)
        token, pk = tokens.issue(get_services().engine, name, chosen, department=dept, expires_days=expires,
                                 **_actor())  # fmt: skip
    except InputError as problem:
        return no_update, no_update, warning(problem.message(lang)), no_update
    except TokenError as problem:
        return no_update, no_update, failure(lang, "access.token_failed", str(problem)), no_update
    return _tokens(lang), ui.new_token_alert(token, name, pk, lang), None, ""


@callback(
    Output(ui.TOKENS_GRID, "rowData", allow_duplicate=True),
    Output(ui.TOKEN_BOX, "children", allow_duplicate=True),
    Output(ui.NOTICE, "children", allow_duplicate=True),
    Input(ui.REVOKE, "n_clicks"),
    State(ui.TOKENS_GRID, "selectedRows"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.MANAGE_USERS)
def on_revoke(clicks, rows, lang):
    lang = normalise(lang)
    if not clicks:
        return no_update, no_update, no_update
    try:
        pk = check.selected_token(rows)
        tokens.revoke(get_services().engine, pk, **_actor())
    except InputError as problem:
        return no_update, no_update, warning(problem.message(lang))
    except TokenError as problem:
        return no_update, no_update, failure(lang, "access.token_failed", str(problem))
    return _tokens(lang), None, success(t("access.revoked", lang, id=pk))
