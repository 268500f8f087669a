"""A KPI card: the figure, its label, where it came from and how fresh it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dash import dcc, html

from components import kpi_format as fmt
from components import kpi_url
from components.read_at import read_at, read_state
from domain.kpis import KpiSpec
from locales import t
from services.kpi_cards import NONE_IN_SCOPE, PARK_WIDE, KpiFigure
from services.kpi_periods import LAST


def make_kpi_card(
    figure: KpiFigure,
    lang: str,
    zone,
    source_title: str,
    late_after: timedelta,
    scope_name: str | None = None,
    show_target: bool = False,
) -> dcc.Link:
    """The card; `scope_name` is the department a department view shows (None: the park);
    `show_target`: a line with the KPI's target and whether the figure meets it (the leaders'
    wall screen, where the figure is read against its target)."""
    spec = figure.spec
    label = t(f"kpi.{spec.id}", lang)
    if figure.note == PARK_WIDE:
        label = t("kpi.park_wide", lang, label=label)
    body = [
        html.Div(label, className="os-kpi-label", title=label),
        html.Div(
            [
                html.Span(fmt.number(figure.value, spec.format), className="os-kpi-number"),
                # 15.0 reads as minutes or hours only with its unit (the label has none)
                html.Span(fmt.unit(spec, lang) if figure.value is not None else "", className="os-kpi-unit"),
            ],
            className="os-kpi-value",
            title=fmt.with_unit(figure.value, spec, lang),
        ),
    ]
    if figure.note == NONE_IN_SCOPE:
        body.append(
            html.Div(t("kpi.none_in_scope", lang, department=scope_name or ""), className="os-kpi-note")
        )
    if show_target and spec.target is not None:
        body.append(target_line(figure, lang))
    state = read_state(figure.fetched_at, figure.stale, late_after, datetime.now(UTC))
    body.append(
        html.Div(
            [
                html.I(className="bi bi-database me-1"),
                source_title,
                html.Span(" · ", className="os-sep"),
                read_at(figure.fetched_at, figure.stale, lang, zone, late_after),
            ],
            className=f"os-kpi-meta os-{state}",
        )
    )
    return dcc.Link(
        body,
        href=drill_href(spec),
        className="os-kpi-card os-kpi-link",
        id={"type": "kpi-card", "kpi": spec.id},
        title=t("kpi.open_drill", lang),
    )


def target_line(figure: KpiFigure, lang: str) -> html.Div:
    """ "● Target ≤ 0 cases", coloured by the KPI's bands (no colour without bands); the word
    for its state ("Off target") as its title, the line being too narrow for both at 18 px."""
    status = figure.spec.status(figure.value)
    return html.Div(
        [html.I(className=f"os-kpi-dot os-rag-{status or 'none'}"), fmt.target(figure.spec, lang)],
        className=f"os-kpi-target os-kpi-target-{status or 'none'}",
        title=fmt.status_word(status, lang) or "",
    )


def drill_href(spec: KpiSpec) -> str:
    """The KPI page at this KPI over the card's own window (today; the last N days up to now, not
    from that day's midnight), so that the page opens on the figure clicked."""
    view: dict[str, object] = {"kpi": spec.id}
    window = spec.window
    if window is not None and spec.timed and not spec.yearly:
        if window.today:
            view["range"] = "today"
        elif window.days:
            view |= {"range": LAST, "days": window.days}
    return kpi_url.href(view)
