"""The profile's panel of what happens around the enterprise (services/enterprise_nearby.py):
the counts for every reader, and for readers of records the newest cases and open alerts, each
a link to its own page (/cases?case=…, /alerts?alert=…)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from dash import dcc, html
from dash.development.base_component import Component

from components.timefmt import format_time
from locales import t
from services.case_types import type_name
from services.enterprise_nearby import ALERT_RADIUS_M, CASE_DAYS, CASE_RADIUS_M, Nearby
from services.reference import department_name


def _case_item(case: dict[str, Any], zone: ZoneInfo, lang: str) -> html.Li:
    address = case.get("address_en") if lang == "en" and case.get("address_en") else case.get("address")
    return html.Li(
        [
            dcc.Link(case["id"], href=f"/cases?case={case['id']}", className="os-ent-record-id"),
            html.Span(type_name(case["case_type"], lang), className="os-ent-record-what"),
            html.Span(t(f"case.status.{case['status']}", lang), className="os-ent-record-state"),
            html.Span(
                format_time(case["reported_at"], zone, "%Y-%m-%d %H:%M"), className="os-ent-record-time"
            ),
            html.Span(
                [
                    address or "",
                    " · ",
                    t("enterprise.nearby.metres", lang, metres=f"{case['distance_m']:.0f}"),
                ],
                className="os-ent-record-where",
            ),
        ],
        className="os-ent-record",
    )


def _alert_item(alert: dict[str, Any], zone: ZoneInfo, lang: str) -> html.Li:
    severity = alert["severity"]
    return html.Li(
        [
            dcc.Link(alert["id"], href=f"/alerts?alert={alert['id']}", className="os-ent-record-id"),
            html.Span(t(f"alert_rule.{alert['rule']}", lang), className="os-ent-record-what"),
            html.Span(
                t(f"alert_severity.{severity}", lang), className=f"os-ent-record-state os-ent-sev-{severity}"
            ),
            html.Span(
                format_time(alert["raised_at"], zone, "%Y-%m-%d %H:%M"), className="os-ent-record-time"
            ),
            html.Span(
                [
                    alert.get("sensor_id") or "",
                    " · ",
                    t("enterprise.nearby.metres", lang, metres=f"{alert['distance_m']:.0f}"),
                ],
                className="os-ent-record-where",
            ),  # fmt: skip
        ],
        className="os-ent-record",
    )


def nearby_panel(found: Nearby | None, zone: ZoneInfo, lang: str) -> Component:
    """Counts, then the lists (newest first) when the reader may read records; words saying why
    there is nothing when the firm has no location."""
    if found is None:
        return html.P(t("enterprise.nearby.no_place", lang), className="os-ent-muted")
    if found.refused:
        return html.P(t("enterprise.nearby.refused", lang), className="os-ent-muted")
    head = [html.P(t("enterprise.nearby.why", lang, metres=f"{CASE_RADIUS_M:.0f}"), className="os-ent-muted")]
    if found.department:
        head.append(
            html.P(
                t("enterprise.nearby.department", lang, department=department_name(found.department, lang)),
                className="os-ent-muted",
            )
        )
    cases_words = t("enterprise.nearby.cases", lang, metres=f"{CASE_RADIUS_M:.0f}", days=CASE_DAYS,
                    count=found.cases_total)  # fmt: skip
    alerts_words = t(
        "enterprise.nearby.alerts", lang, metres=f"{ALERT_RADIUS_M:.0f}", count=found.alerts_total
    )
    if found.cases_stale:
        cases_words += t("enterprise.nearby.stale", lang)
    if not found.records:
        return html.Div(
            [
                *head,
                html.P(cases_words, className="os-ent-count"),
                html.P(alerts_words, className="os-ent-count"),
                html.P(t("enterprise.nearby.counts_only", lang), className="os-ent-muted"),
            ]
        )
    shown = (
        t("enterprise.nearby.shown", lang, shown=len(found.cases))
        if found.cases_total > len(found.cases)
        else ""
    )
    return html.Div(
        [
            *head,
            html.H3([cases_words, html.Span(shown, className="os-ent-muted")], className="os-ent-count"),
            html.Ul([_case_item(c, zone, lang) for c in found.cases], className="os-ent-records"),
            html.H3(alerts_words, className="os-ent-count"),
            html.Ul([_alert_item(a, zone, lang) for a in found.alerts], className="os-ent-records"),
        ]
    )
