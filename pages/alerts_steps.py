"""The Alerts page's steps: a step's button (or its key, assets/50-alerts.js) opens the
confirmation dialog (components.alert_step_form) for the open alert as last read (its version),
and confirming takes the step through services.alert_commands.take_step — the same command,
rules, scope and audit as the API. A refusal is said in the dialog with its reason and changes
nothing; an alert changed by someone else meanwhile closes the dialog, says that it moved and
shows it as it now is."""

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

from components import alert_step_form as form
from components.alert_panel import ACTION_BUTTON
from components.case_step_form import department_options
from domain.alert_lifecycle import Action, parse_action
from domain.steps import StaleVersion, StepRefused
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.web_context import current_principal
from services.alert_commands import AlertNotFound, make_step, refusal_text, take_step
from services.alert_desk import assignable_people
from services.alert_detail import alert_detail

SELECTED, PENDING, CHANGED, NOTICE = "alerts-selected", "alerts-pending", "alerts-changed", "alerts-notice"
NOTHING = (no_update,) * (9 + len(form.GROUPS))


def register() -> None:
    """Add the dialog's callbacks to the app being built (called by pages/alerts.py, which Dash
    Pages runs once per app; see pages/cases_steps.register for why not at import)."""

    @callback(
        Output(form.MODAL, "is_open"),
        Output(form.TITLE, "children"),
        Output(form.QUESTION, "children"),
        Output(PENDING, "data"),
        Output(form.DEPARTMENT, "options"),
        Output(form.PERSON, "options"),
        Output(form.NOTE, "value"),
        Output(form.DEPARTMENT, "value"),
        Output(form.PROBLEM, "children"),
        [Output(form.GROUP + name, "hidden") for name in form.GROUPS],
        Input({"type": ACTION_BUTTON, "action": ALL}, "n_clicks"),
        State(SELECTED, "data"),
        State("shell-lang", "value"),
        prevent_initial_call=True,
    )
    @requires(Permission.ACT)
    def on_alert_step_open(clicks: list, alert_id: str | None, lang: str):
        lang = normalise(lang)
        trigger = ctx.triggered_id
        if not any(clicks or []) or not isinstance(trigger, dict) or not isinstance(alert_id, str):
            return NOTHING
        try:
            action = parse_action(trigger.get("action"))
        except StepRefused:
            return NOTHING
        view = alert_detail(alert_id[:64])
        if view is None or action not in view.actions:  # gone, or no longer a step of this alert
            return NOTHING
        alert = view.alert
        own = current_principal().scoped_department
        shown = form.needs(action)
        people = assignable_people(own) if action is Action.ASSIGN else {}
        name = t(f"alert_action.{action.value}", lang)
        return (
            True,
            t("alerts.step.title", lang, action=name, alert=alert["id"]),
            t("alerts.step.question", lang, action=name, alert=alert["id"]),
            {"alert": alert["id"], "action": action.value, "version": int(alert.get("version") or 1)},
            department_options(lang, own),
            [{"label": n, "value": n} for n in people],
            "",
            None,
            None,
            *[g not in shown for g in form.GROUPS],
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
        State(form.PERSON, "value"),
        State(CHANGED, "data"),
        State("shell-lang", "value"),
        prevent_initial_call=True,
    )
    @requires(Permission.ACT)
    def on_alert_step_confirm(clicks, pending, note, department, person, changed, lang):
        lang = normalise(lang)
        if not clicks or not isinstance(pending, dict) or not isinstance(pending.get("alert"), str):
            return no_update, no_update, no_update, no_update
        bump = (changed if isinstance(changed, int) else 0) + 1
        alert_id = pending["alert"][:64]
        try:
            step = make_step(
                pending.get("action"),
                pending.get("version"),
                note=(note or "").strip() or None if isinstance(note, str) else note,
                department=department,
                assignee=person,
            )
            after = take_step(alert_id, step)
        except StaleVersion as stale:
            return False, None, dbc.Alert(refusal_text(stale, lang), color="warning", dismissable=True), bump
        except StepRefused as refusal:
            problem = dbc.Alert([html.I(className="bi bi-x-circle me-2"), refusal_text(refusal, lang)],
                                color="danger")  # fmt: skip
            return no_update, problem, no_update, no_update
        except AlertNotFound:
            return False, None, dbc.Alert(t("alerts.missing", lang, alert=alert_id), color="warning"), bump
        message = t(
            "alerts.step.done",
            lang,
            action=t(f"alert_action.{step.action.value}", lang),
            alert=alert_id,
            state=t(f"alert_state.{after['state']}", lang),
        )
        return False, None, dbc.Alert(message, color="success", dismissable=True, duration=6000), bump

    # Cancel only closes the dialog: nothing to ask the server.
    clientside_callback(
        ClientsideFunction(namespace="cases", function_name="close"),
        Output(form.MODAL, "is_open", allow_duplicate=True),
        Input(form.CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )
