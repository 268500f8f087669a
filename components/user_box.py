"""Who is signed in, with their roles (and department), and the sign-out button; for an
anonymous wall screen, its role and a sign-in link."""

from __future__ import annotations

from urllib.parse import quote

from dash import dcc, html
from flask import has_request_context, request

from locales import t
from security.session import csrf_token
from security.web_context import current_principal
from services.reference import department_name

USER = "shell-user"


def user_box_children(lang: str, pathname: object = None) -> list:
    """`pathname`: the page shown (the shell's location), where signing in comes back to. Inside
    a callback the request is the callback's, so its path is not the page's."""
    principal = current_principal()
    roles = [html.Span(t(f"role.{r.value}", lang), className="badge os-role") for r in principal.roles]
    if principal.department:
        roles.append(html.Span(department_name(principal.department, lang), className="os-user-dept"))
    if principal.kind != "user":
        here = pathname if isinstance(pathname, str) and pathname.startswith("/") else "/"
        name = t("user.anonymous", lang) if principal.is_anonymous else principal.display_name
        return [
            html.I(className="bi bi-person-badge me-1"),
            html.Span(name, className="os-user-name"),
            *roles,
            html.A(
                [html.I(className="bi bi-box-arrow-in-right me-1"), t("user.sign_in", lang)],
                href=f"/login?next={quote(here, safe='')}",
                className="btn btn-sm btn-outline-secondary",
            ),
        ]
    return [
        html.I(className="bi bi-person-circle me-1"),
        html.Span(principal.display_name, className="os-user-name", title=principal.name),
        *roles,
        html.Form(
            [
                dcc.Input(type="hidden", name="csrf", value=csrf_token()),
                html.Button(
                    html.I(className="bi bi-box-arrow-right"),
                    type="submit",
                    className="btn btn-sm btn-outline-secondary",
                    title=t("user.sign_out", lang),
                    **{"aria-label": t("user.sign_out", lang)},
                ),
            ],
            method="POST",
            action="/logout",
            className="os-signout",
        ),
    ]


def make_user_box(lang: str) -> html.Div:
    # Outside a request (Dash calls the layout once at start-up) there is nobody to show.
    children = user_box_children(lang, request.path) if has_request_context() else []
    return html.Div(children, id=USER, className="os-user")
