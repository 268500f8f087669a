"""The Cases page's steps: a step's button opens its confirmation dialog (components
.case_step_form) for the open case as last read (its version), and confirming takes the step
through services.case_commands.take_step — the same command, rules, scope and audit as the API.
A refusal is said in the dialog and changes nothing; a case changed by someone else meanwhile
closes the dialog, says so and shows the case as it now is."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    html,
    no_update,
)

from components import case_step_form as form
from components.case_panel import ACTION_BUTTON
from domain.case_lifecycle import Action, StaleVersion, StepRefused, parse_action
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.case_commands import CaseNotFound, make_step, refusal_text, take_step
from services.case_detail import case_detail

SELECTED, PENDING, CHANGED, NOTICE = "cases-selected", "cases-pending", "cases-changed", "cases-notice"


def _groups(shown: set[str]) -> list[bool]:
    return [name not in shown for name in form.GROUPS]  # `hidden` of each field group


def register() -> None:
    """Add the dialog's callbacks to the app being built. Called by pages/cases.py, which Dash
    Pages runs once per app; a plain import would run these decorators for the first app of the
    process only (Dash collects callbacks globally and hands them to the next app set up)."""

    @callback(
        Output(form.MODAL, "is_open"),
        Output(form.TITLE, "children"),
        Output(form.QUESTION, "children"),
        Output(PENDING, "data"),
        Output(form.DEPARTMENT, "options"),
        Output(form.NOTE, "value"),
        Output(form.DEPARTMENT, "value"),
        Output(form.REASON, "value"),
        Output(form.DUPLICATE, "value"),
        Output(form.SATISFACTION, "value"),
        Output(form.PROBLEM, "children"),
        [Output(form.GROUP + name, "hidden") for name in form.GROUPS],
        Input({"type": ACTION_BUTTON, "action": ALL}, "n_clicks"),
        State(SELECTED, "data"),
        State("shell-lang", "value"),
        prevent_initial_call=True,
    )
    @requires(Permission.ACT)
    def on_step_open(clicks: list, case_id: str | None, lang: str):
        lang = normalise(lang)
        trigger = ctx.triggered_id
        if not any(clicks or []) or not isinstance(trigger, dict) or not isinstance(case_id, str):
            return (no_update,) * (11 + len(form.GROUPS))
        try:
            action = parse_action(trigger.get("action"))
        except StepRefused:
            return (no_update,) * (11 + len(form.GROUPS))
        detail = case_detail(case_id)
        if detail is None or action not in detail.actions:  # gone, or no longer a step of this case
            return (no_update,) * (11 + len(form.GROUPS))
        case = detail.case
        shown = form.needs(action, str(case["channel"]))
        name = t(f"case.action.{action.value}", lang)
        pending = {"case": case["id"], "action": action.value, "version": int(case["version"])}
        return (
            True,
            t("cases.step.title", lang, action=name, case=case["id"]),
            t("cases.step.question", lang, action=name, case=case["id"]),
            pending,
            form.department_options(lang, current_principal().scoped_department),
            "",
            case.get("department") if action is Action.DISPATCH else None,
            None,
            "",
            None,
            None,
            *_groups(shown),
        )

    @callback(
        Output(form.MODAL, "is_open", allow_duplicate=True),
        Output(form.PROBLEM, "children", allow_duplicate=True),
        Output(NOTICE, "children", allow_duplicate=True),
        Output(CHANGED, "data"),
        Input(form.CONFIRM, "n_clicks"),
        State(PENDING, "data"),
        State(form.NOTE, "value"),
        State(form.DEPARTMENT, "value"),
        State(form.REASON, "value"),
        State(form.DUPLICATE, "value"),
        State(form.SATISFACTION, "value"),
        State(CHANGED, "data"),
        State("shell-lang", "value"),
        prevent_initial_call=True,
    )
    @requires(Permission.ACT)
    def on_step_confirm(clicks, pending, note, department, reason, duplicate_of, satisfaction, changed, lang):
        lang = normalise(lang)
        if not clicks or not isinstance(pending, dict) or not isinstance(pending.get("case"), str):
            return no_update, no_update, no_update, no_update
        bump = (changed if isinstance(changed, int) else 0) + 1
        case_id = pending["case"][:64]
        try:
            step = make_step(
                pending.get("action"),
                pending.get("version"),
                note=(note or "").strip() or None if isinstance(note, str) else note,
                department=department,
                satisfaction=satisfaction,
                reason=reason,
                duplicate_of=(duplicate_of or "").strip() or None
                if isinstance(duplicate_of, str)
                else duplicate_of,
            )
            after = take_step(case_id, step)
        except StaleVersion as stale:
            return False, None, dbc.Alert(refusal_text(stale, lang), color="warning", dismissable=True), bump
        except StepRefused as refusal:
            problem = dbc.Alert(
                [html.I(className="bi bi-x-circle me-2"), refusal_text(refusal, lang)], color="danger"
            )
            return no_update, problem, no_update, no_update
        except CaseNotFound:
            return False, None, dbc.Alert(t("cases.missing", lang, case=case_id), color="warning"), bump
        message = t(
            "cases.step.done",
            lang,
            action=t(f"case.action.{step.action.value}", lang),
            case=case_id,
            status=t(f"case.status.{after['status']}", lang),
        )
        return False, None, dbc.Alert(message, color="success", dismissable=True, duration=6000), bump

    # Cancel only closes the dialog: nothing to ask the server.
    clientside_callback(
        ClientsideFunction(namespace="cases", function_name="close"),
        Output(form.MODAL, "is_open", allow_duplicate=True),
        Input(form.CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )
