"""The forms of the users-and-tokens page (layout only; pages/admin_access.py has the callbacks
and the component ids)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.admin_access import MAX_DAYS, department_options, role_options, token_role_options
from components.admin_common import dropdown_labels, field
from locales import t

# component ids
NOTICE = "access-notice"
USERS_GRID = "access-users"
TOKENS_GRID = "access-tokens"
NEW_USERNAME = "access-new-username"
NEW_DISPLAY = "access-new-display"
NEW_ROLES = "access-new-roles"
NEW_DEPT = "access-new-dept"
NEW_PW = "access-new-password"
NEW_PW2 = "access-new-confirm"
CREATE = "access-create"
SELECTED = "access-selected"
EDIT_ROLES = "access-edit-roles"
EDIT_DEPT = "access-edit-dept"
SAVE_ROLES = "access-save-roles"
EDIT_PW = "access-edit-password"
EDIT_PW2 = "access-edit-confirm"
RESET_PW = "access-reset-password"
DISABLE = "access-disable"
ENABLE = "access-enable"
UNLOCK = "access-unlock"
CLIENT = "access-token-client"
TOKEN_ROLE = "access-token-role"
TOKEN_DEPT = "access-token-dept"
TOKEN_DAYS = "access-token-days"
ISSUE = "access-issue"
REVOKE = "access-revoke"
TOKEN_BOX = "access-token-box"
TOKEN_VALUE = "access-token-value"


def _input(component_id: str, placeholder: str, **kw) -> dbc.Input:
    return dbc.Input(id=component_id, placeholder=placeholder, size="sm", **kw)


def _secret(component_id: str, placeholder: str) -> dbc.Input:
    return _input(component_id, placeholder, type="password", autocomplete="new-password", maxlength=256)


def _dropdown(component_id: str, options: list[dict], lang: str, placeholder: str, multi: bool = False):
    return dcc.Dropdown(
        id=component_id,
        options=options,
        value=[] if multi else None,
        multi=multi,
        placeholder=placeholder,
        labels=dropdown_labels(lang),
        className="os-dd",
    )


def _button(component_id: str, icon: str, label: str, color: str = "secondary", outline: bool = True):
    return dbc.Button(
        [html.I(className=f"bi {icon} me-1"), label],
        id=component_id,
        size="sm",
        color=color,
        outline=outline,
    )


def new_user_form(lang: str) -> html.Div:
    return html.Div(
        [
            html.H3(t("access.new_user", lang)),
            field(t("access.field.username", lang),
                  _input(NEW_USERNAME, t("access.username_hint", lang), maxlength=64, autocomplete="off")),
            field(t("access.field.display_name", lang), _input(NEW_DISPLAY, "", maxlength=100)),
            field(t("access.field.roles", lang),
                  _dropdown(NEW_ROLES, role_options(lang), lang, t("access.pick_roles", lang), multi=True)),
            field(t("access.field.department", lang),
                  _dropdown(NEW_DEPT, department_options(lang), lang, t("access.department_hint", lang))),
            html.Div(
                [
                    field(t("access.field.password", lang), _secret(NEW_PW, "")),
                    field(t("access.field.confirm", lang), _secret(NEW_PW2, "")),
                ],
                className="os-field-pair",
            ),
            _button(CREATE, "bi-person-plus", t("access.create", lang), "primary", outline=False),
        ],
        className="os-form",
    )  # fmt: skip


def selected_user_form(lang: str) -> html.Div:
    return html.Div(
        [
            html.H3([t("access.selected_user", lang), " ",
                     html.Span(t("access.none_selected", lang), id=SELECTED, className="os-selected")]),
            html.Div(
                [
                    field(t("access.field.roles", lang),
                          _dropdown(EDIT_ROLES, role_options(lang), lang, t("access.pick_roles", lang), multi=True)),
                    field(t("access.field.department", lang),
                          _dropdown(EDIT_DEPT, department_options(lang), lang, t("access.department_hint", lang))),
                ],
                className="os-field-pair",
            ),
            _button(SAVE_ROLES, "bi-shield-check", t("access.save_roles", lang)),
            html.Div(
                [
                    field(t("access.field.new_password", lang), _secret(EDIT_PW, "")),
                    field(t("access.field.confirm", lang), _secret(EDIT_PW2, "")),
                ],
                className="os-field-pair",
            ),
            _button(RESET_PW, "bi-key", t("access.reset_password", lang)),
            html.Div(
                [
                    _button(DISABLE, "bi-person-slash", t("access.disable", lang), "danger"),
                    _button(ENABLE, "bi-person-check", t("access.enable", lang)),
                    _button(UNLOCK, "bi-unlock", t("access.unlock", lang)),
                ],
                className="os-button-row",
            ),
        ],
        className="os-form",
    )  # fmt: skip


def issue_token_form(lang: str) -> html.Div:
    return html.Div(
        [
            html.H3(t("access.new_token", lang)),
            field(t("access.field.client", lang), _input(CLIENT, t("access.client_hint", lang), maxlength=100)),
            html.Div(
                [
                    field(t("access.field.role", lang),
                          _dropdown(TOKEN_ROLE, token_role_options(lang), lang, t("access.pick_role", lang))),
                    field(t("access.field.department", lang),
                          _dropdown(TOKEN_DEPT, department_options(lang), lang, t("access.department_hint", lang))),
                ],
                className="os-field-pair",
            ),
            field(t("access.field.days", lang),
                  _input(TOKEN_DAYS, t("access.days_hint", lang), type="number", min=1, max=MAX_DAYS, step=1)),
            _button(ISSUE, "bi-key", t("access.issue", lang), "primary", outline=False),
        ],
        className="os-form",
    )  # fmt: skip


def token_actions(lang: str) -> html.Div:
    return html.Div(
        [
            html.H3(t("access.selected_token", lang)),
            _button(REVOKE, "bi-x-octagon", t("access.revoke", lang), "danger"),
            html.Div(id=TOKEN_BOX, className="os-token-box"),
        ],
        className="os-form",
    )


def new_token_alert(token: str, client: str, pk: int, lang: str) -> dbc.Alert:
    """The token, shown this once: the store keeps only its hash."""
    return dbc.Alert(
        [
            html.Div([html.I(className="bi bi-key-fill me-2"),
                      html.Strong(t("access.token_issued", lang, client=client, id=pk))]),
            html.Div(
                [
                    html.Code(token, id=TOKEN_VALUE, className="os-token"),
                    dcc.Clipboard(target_id=TOKEN_VALUE, title=t("access.copy", lang), className="os-copy"),
                ],
                className="os-token-row",
            ),
            html.Small(t("access.token_once", lang)),
        ],
        color="warning",
        dismissable=True,
    )  # fmt: skip
