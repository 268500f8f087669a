"""The confirmation of a step on the Alerts page: a dialog naming the step and the alert, asking
for what the step needs (domain.alert_lifecycle.RULES): a person or a department to assign to,
a note to escalate or resolve. The domain checks every value again on confirm."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from domain.alert_lifecycle import Action
from locales import t

MODAL = "alerts-step"
TITLE = "alerts-step-title"
QUESTION = "alerts-step-question"
PROBLEM = "alerts-step-problem"
DEPARTMENT = "alerts-step-department"
PERSON = "alerts-step-person"
NOTE = "alerts-step-note"
CONFIRM = "alerts-step-confirm"
CANCEL = "alerts-step-cancel"
GROUPS = ("assign", "note")
GROUP = "alerts-step-group-"
NOTE_MAX = 2000


def needs(action: Action) -> set[str]:
    """The field groups the dialog shows for `action`."""
    shown = {"note"}
    if action is Action.ASSIGN:
        shown.add("assign")
    return shown


def step_dialog(lang: str) -> dbc.Modal:
    """The dialog, empty and closed; the page fills it for the step asked for."""
    assign = html.Div(
        [
            dbc.Label(t("alerts.step.department", lang), html_for=DEPARTMENT),
            dcc.Dropdown(id=DEPARTMENT, options=[]),
            dbc.Label(t("alerts.step.person", lang), html_for=PERSON, className="mt-2"),
            dcc.Dropdown(id=PERSON, options=[]),
        ],
        id=GROUP + "assign",
        className="mb-3",
        hidden=True,
    )
    note = html.Div(
        [
            dbc.Label(t("alerts.step.note", lang), html_for=NOTE),
            dbc.Textarea(id=NOTE, maxLength=NOTE_MAX, rows=3),
        ],
        id=GROUP + "note",
        className="mb-3",
        hidden=True,
    )
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id=TITLE)),
            dbc.ModalBody([html.P(id=QUESTION, className="fw-semibold"), assign, note, html.Div(id=PROBLEM)]),
            dbc.ModalFooter(
                [
                    dbc.Button(t("cases.step.cancel", lang), id=CANCEL, color="secondary", outline=True),
                    dbc.Button(t("cases.step.confirm", lang), id=CONFIRM, color="primary"),
                ]
            ),
        ],
        id=MODAL,
        is_open=False,
        backdrop="static",
    )
