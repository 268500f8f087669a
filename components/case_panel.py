"""One case as the Cases page's side panel shows it: what was reported (the reporter's text as
text: Dash never renders a string as markup), where, its SLA clock stage by stage, its
timeline of events with who and when, and a button for exactly each step the signed-in
principal may take (services.case_detail decides which)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import html

from components.place_map import place_map
from components.timefmt import format_time
from domain.case_clock import Standing
from locales import t
from services.case_detail import CaseDetail
from services.case_types import type_name
from services.reference import department_name
from services.surroundings import surroundings

PLACE_MAP = "cases-place-map"

ACTION_BUTTON = "cases-action"  # pattern-matching id: {"type": ACTION_BUTTON, "action": ...}
STATUS_COLOUR = {"reported": "info", "accepted": "info", "dispatched": "primary", "in_progress": "primary",
                 "handled": "success", "verified": "success", "closed": "secondary", "returned": "warning",
                 "rejected": "dark"}  # fmt: skip
STANDING_COLOUR = {Standing.OVERDUE: "danger", Standing.DUE_SOON: "warning", Standing.MISSED: "danger",
                   Standing.ON_TIME: "success", Standing.MET: "success", Standing.PENDING: "secondary"}  # fmt: skip
ACTION_COLOUR = {"reject": "outline-danger", "return": "outline-warning", "reopen": "outline-warning"}


def status_badge(status: str, lang: str) -> dbc.Badge:
    return dbc.Badge(
        t(f"case.status.{status}", lang) if status in STATUS_COLOUR else status,
        color=STATUS_COLOUR.get(status, "secondary"),
        className="os-case-status",
    )


def _fact(label: str, value: Any) -> html.Div:
    return html.Div([html.Dt(label), html.Dd(value if value not in (None, "") else "—")], className="os-fact")


def _clock(detail: CaseDetail, zone: ZoneInfo, lang: str) -> html.Div:
    clock = detail.clock
    if clock is None:
        return html.P(t("cases.clock.unknown_type", lang), className="text-body-secondary")
    rows = [
        html.Tr(
            [
                html.Td(t(f"cases.stage.{s.stage}", lang)),
                html.Td(format_time(s.deadline, zone) if s.deadline else "—"),
                html.Td(format_time(s.finished, zone) if s.finished else "—"),
                html.Td(
                    dbc.Badge(
                        t(f"cases.standing.{s.standing.value}", lang), color=STANDING_COLOUR[s.standing]
                    )
                ),
            ]
        )
        for s in clock.stages
    ]
    head = html.Tr(
        [html.Th(t(f"cases.clock.{c}", lang)) for c in ("stage", "deadline", "finished", "standing")]
    )
    whole = dbc.Badge(
        t(f"cases.standing.{clock.case_standing.value}", lang), color=STANDING_COLOUR[clock.case_standing]
    )
    return html.Div(
        [
            html.P(
                [t("cases.clock.case_deadline", lang, at=format_time(clock.case_deadline, zone)), " ", whole],
                className="mb-1",
            ),
            dbc.Table([html.Thead(head), html.Tbody(rows)], size="sm", className="os-table os-case-clock"),
        ]
    )


def _event(event: dict[str, Any], zone: ZoneInfo, lang: str) -> html.Li:
    action = str(event.get("action") or "")
    name = PAST.get(action, action)  # the demo's history names events as what happened
    label = t(f"case.event.{name}", lang) if name in PAST.values() else action
    detail = event.get("detail") or {}
    extras = []
    if isinstance(detail, dict):
        if detail.get("department"):
            extras.append(
                t("cases.event.to", lang, department=department_name(str(detail["department"]), lang))
            )
        if detail.get("satisfaction"):
            extras.append(t("cases.event.satisfaction", lang, score=detail["satisfaction"]))
        if detail.get("duplicate_of"):
            extras.append(t("cases.event.duplicate_of", lang, case=str(detail["duplicate_of"])))
    note = event.get("note")
    return html.Li(
        [
            html.Div([html.Strong(label), html.Span(" · " + " · ".join(extras)) if extras else None]),
            html.Div(
                [format_time(event.get("at"), zone), " · ", str(event.get("actor") or "—")],
                className="text-body-secondary small",
            ),
            html.Div(str(note), className="os-case-note") if note else None,
        ],
        className="os-case-event",
    )


# An event's action (a step of domain.case_lifecycle) as what happened.
PAST = {"reported": "reported", "accept": "accepted", "dispatch": "dispatched", "start": "in_progress",
        "handle": "handled", "verify": "verified", "close": "closed", "return": "returned",
        "reopen": "reopened", "reject": "rejected", "imported": "imported"}  # fmt: skip


def _where(case: dict[str, Any], lang: str) -> Any:
    lon, lat = case.get("lon"), case.get("lat")
    around = surroundings(lon, lat) if lon is not None and lat is not None else None
    if around is None:
        return html.P(t("cases.map.no_place", lang), className="text-body-secondary small")
    return place_map(PLACE_MAP, float(lon), float(lat), around, lang, case.get("grid_cell"))  # type: ignore[arg-type]


def case_panel(detail: CaseDetail, zone: ZoneInfo, lang: str, now: datetime | None = None) -> html.Div:
    case = detail.case
    address = case.get("address") if lang == "zh" else case.get("address_en") or case.get("address")
    buttons = [
        dbc.Button(
            t(f"case.action.{a.value}", lang),
            id={"type": ACTION_BUTTON, "action": a.value},
            color=ACTION_COLOUR.get(a.value, "primary"),
            size="sm",
            className="me-2 mb-2",
        )
        for a in detail.actions
    ]
    department = case.get("department")
    facts = html.Dl(
        [
            _fact(t("cases.col.case_type", lang), type_name(str(case["case_type"]), lang)),
            _fact(t("cases.col.channel", lang), t(f"channel.{case['channel']}", lang)),
            _fact(t("cases.col.department", lang), department_name(department, lang) if department else None),
            _fact(t("cases.col.grid_cell", lang), case.get("grid_cell")),
            _fact(t("cases.col.reported_at", lang), format_time(case.get("reported_at"), zone)),
            _fact(t("cases.col.address", lang), address),
            _fact(t("cases.reopened", lang), case.get("reopen_count") or 0),
        ],
        className="os-case-facts",
    )
    return html.Div(
        [
            html.Div(
                [html.H3(str(case["id"]), className="os-case-id"), status_badge(str(case["status"]), lang)],
                className="os-case-head",
            ),
            html.P(str(case.get("description") or ""), className="os-case-text"),
            facts,
            html.Div(
                buttons or html.P(t("cases.no_actions", lang), className="text-body-secondary small"),
                className="os-case-actions",
            ),  # fmt: skip
            html.H4(t("cases.map.title", lang)),
            _where(case, lang),
            html.H4(t("cases.clock.title", lang)),
            _clock(detail, zone, lang),
            html.H4(t("cases.timeline", lang)),
            html.Ol([_event(e, zone, lang) for e in reversed(detail.events)], className="os-case-timeline"),
        ],
        className="os-case-panel",
    )
