"""The confirmation of a step on the Cases page: a dialog that names the step and the case and
asks for exactly what the step needs (domain.case_lifecycle.RULES): where to dispatch, a note
saying why to return, reopen or reject, the reason and the earlier case of a duplicate, the
reporter's score to close a hotline case. The domain checks every value again on confirm."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.case_filters import options
from domain.case_lifecycle import CALLBACK_CHANNELS, NOTE_MAX, RULES, Action, RejectReason
from locales import t

MODAL = "cases-step"
TITLE = "cases-step-title"
QUESTION = "cases-step-question"
PROBLEM = "cases-step-problem"
DEPARTMENT = "cases-step-department"
NOTE = "cases-step-note"
REASON = "cases-step-reason"
DUPLICATE = "cases-step-duplicate"
SATISFACTION = "cases-step-satisfaction"
CONFIRM = "cases-step-confirm"
CANCEL = "cases-step-cancel"
GROUPS = ("department", "note", "reason", "duplicate", "satisfaction")
GROUP = "cases-step-group-"


def needs(action: Action, channel: str) -> set[str]:
    """The fields the dialog shows for `action` on a case reported through `channel`."""
    shown = {"note"}
    if action is Action.DISPATCH:
        shown.add("department")
    if action is Action.REJECT:
        shown |= {"reason", "duplicate"}
    if action is Action.CLOSE and channel in CALLBACK_CHANNELS:
        shown.add("satisfaction")
    return shown


def note_label(action: Action, lang: str) -> str:
    return t("cases.step.note_needed" if RULES[action].needs_note else "cases.step.note", lang)


def step_dialog(lang: str) -> dbc.Modal:
    """The dialog, empty and closed; the page fills it for the step asked for."""

    def group(name: str, label: str, control) -> html.Div:
        return html.Div(
            [dbc.Label(label, html_for=control.id), control], id=GROUP + name, className="mb-3", hidden=True
        )

    body = [
        html.P(id=QUESTION, className="fw-semibold"),
        group("department", t("cases.step.department", lang), dcc.Dropdown(id=DEPARTMENT, options=[])),
        group(
            "reason",
            t("cases.step.reason", lang),
            dbc.RadioItems(
                id=REASON,
                options=[
                    {"label": t(f"cases.step.reason.{r.value}", lang), "value": r.value} for r in RejectReason
                ],
                inline=True,
            ),
        ),
        group("duplicate", t("cases.step.duplicate", lang), dbc.Input(id=DUPLICATE, maxLength=64)),
        group(
            "satisfaction",
            t("cases.step.satisfaction", lang),
            dbc.RadioItems(
                id=SATISFACTION, options=[{"label": str(n), "value": n} for n in range(1, 6)], inline=True
            ),
        ),
        group("note", t("cases.step.note", lang), dbc.Textarea(id=NOTE, maxLength=NOTE_MAX, rows=3)),
        html.Div(id=PROBLEM),
    ]
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id=TITLE)),
            dbc.ModalBody(body),
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


def department_options(lang: str, own_department: str | None) -> list[dict]:
    """Where a case may be sent: any department for the centre, within itself for a department
    (the filter bar's department list: the same rule)."""
    return options("department", lang, own_department)
