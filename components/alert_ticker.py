"""The wall's live alert panels on the Overview: the ticker (the newest open alerts in one
scrolling line, severity-coloured, 18 px and up as the wall theme asks) and the card of open
alerts by severity. Both follow the shell's live store `live-alerts` (pages/overview.py turns
each batch into one re-read) and a 10 s tick.

Who sees what: the ticker names alerts (sensor, place, department), record-level facts that only
READ_RECORDS may read, and the live stream (live/stream.py) refuses the others, so a screens
viewer (VIEW_SCREENS only) gets no ticker: it is not drawn for them. The card holds counts only,
aggregate-safe and scoped, so everyone who sees the Overview sees it; for a viewer it follows
the 10 s tick instead of the stream."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from dash import html

from components.alert_panel import alert_title
from components.timefmt import format_time
from domain.alert_lifecycle import Severity
from locales import t
from services.reference import department_name

TICKER = "overview-ticker"
SEVERITIES = frozenset(s.value for s in Severity)
TICKER_ITEMS = 12  # the newest open alerts a ticker runs through


def ticker_frame(lang: str, children: list) -> html.Div:
    return html.Div(
        [html.Span(t("ticker.label", lang), className="os-ticker-label"), html.Div(children, id=TICKER,
                                                                                className="os-ticker-track")],
        className="os-ticker",
        role="marquee",
        **{"aria-live": "off"},
    )  # fmt: skip


def ticker_items(rows: list[dict[str, Any]], lang: str, zone: ZoneInfo) -> list:
    """The newest open alerts as one line (drawn twice: the CSS scrolls it by half, seamlessly)."""
    newest = sorted(rows, key=lambda r: r["raised_at"], reverse=True)[:TICKER_ITEMS]
    if not newest:
        return [html.Span(t("ticker.none", lang), className="os-ticker-empty")]

    def item(row: dict[str, Any], copy: int) -> html.Span:
        department = row.get("department")
        words = [
            format_time(row.get("raised_at"), zone, "%H:%M"),
            t(f"alert_severity.{row['severity']}", lang) if row["severity"] in SEVERITIES else row["severity"],
            alert_title(row, lang),
            department_name(department, lang) if department else "",
            str(row["id"]),
        ]
        return html.Span(
            " · ".join(w for w in words if w),
            className=f"os-ticker-item os-sev-{row['severity']}",
            **({"aria-hidden": "true"} if copy else {"data-alert": row["id"]}),
        )

    return [html.Div([item(r, c) for c in (0, 1) for r in newest], className="os-ticker-items")]


def severity_card(counts: dict[str, int], lang: str) -> html.Div:
    """The card of open alerts by severity (critical first), with the total as its figure."""
    total = sum(counts.values())
    parts = [
        html.Span(f"{t(f'alert_severity.{s}', lang)} {counts.get(s, 0):,}", className=f"os-sev-{s}")
        for s in ("critical", "warning", "info")
    ]
    return html.Div(
        [
            html.Div(t("kpi.open_alerts", lang), className="os-kpi-label"),
            html.Div(f"{total:,}", className="os-kpi-value"),
            html.Div(parts, className="os-kpi-meta os-kpi-severity"),
        ],
        className="os-kpi-card",
        id={"type": "kpi-card", "kpi": "open_alerts"},
    )
