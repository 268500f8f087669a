"""The wall's live alert strip on the Overview: the open alerts counted by severity and the
ticker (the newest open alerts in one scrolling line, severity-coloured, 18 px and up as the
wall theme asks), one line above the KPI cards. Both follow the shell's live store `live-alerts` (pages/overview.py turns
each batch into one re-read) and a 10 s tick.

Who sees what: the ticker names alerts (sensor, place, department), record-level facts that only
READ_RECORDS may read, and the live stream (live/stream.py) refuses the others, so a screens
viewer (VIEW_SCREENS only) gets no ticker: it is not drawn for them. The counts are aggregate
and scoped, so everyone who sees the Overview sees them; for a viewer they follow the 10 s tick
instead of the stream. (A card in the KPI row was tried: an eighth card made every card too
narrow for its source line at 18 px.)"""

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
COUNTS = "overview-alert-counts"
SEVERITIES = frozenset(s.value for s in Severity)
TICKER_ITEMS = 12  # the newest open alerts a ticker runs through


def ticker_frame(lang: str, counts: list, items: list | None, source: list | None = None) -> html.Div:
    """The strip: the open alerts by severity (everyone), then the ticker (`items`; None for a
    principal who may not read alerts: the strip holds the counts only), then `source` (where
    and when the strip was read) at its right end, on a wall, whose strip is redrawn whole on
    each tick; the desk's strip updates its counts and ticker in place, so it names none)."""
    children = [
        html.Span(t("kpi.open_alerts", lang), className="os-ticker-label"),
        html.Span(counts, id=COUNTS, className="os-ticker-counts"),
    ]
    if items is not None:
        children.append(html.Div(items, id=TICKER, className="os-ticker-track"))
    if source is not None:
        children.append(html.Span(source, className="os-ticker-source os-panel-source"))
    return html.Div(children, className="os-ticker", role="region", **{"aria-label": t("ticker.label", lang)})


def ticker_items(rows: list[dict[str, Any]], lang: str, zone: ZoneInfo) -> list:
    """The newest open alerts as one line (drawn twice: the CSS scrolls it by half, seamlessly)."""
    newest = sorted(rows, key=lambda r: r["raised_at"], reverse=True)[:TICKER_ITEMS]
    if not newest:
        return [html.Span(t("ticker.none", lang), className="os-ticker-empty")]

    def item(row: dict[str, Any], copy: int) -> html.Span:
        department = row.get("department")
        words = [
            format_time(row.get("raised_at"), zone, "%H:%M"),
            t(f"alert_severity.{row['severity']}", lang)
            if row["severity"] in SEVERITIES
            else row["severity"],
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


def severity_counts(counts: dict[str, int], lang: str) -> list:
    """The open alerts by severity, critical first (counts only: any screen viewer may see them)."""
    return [
        html.Span(
            [t(f"alert_severity.{s}", lang), " ", html.B(f"{counts.get(s, 0):,}")],
            className=f"os-ticker-count os-sev-{s}",
            **{"data-severity": s, "data-count": str(counts.get(s, 0))},
        )
        for s in ("critical", "warning", "info")
    ]
