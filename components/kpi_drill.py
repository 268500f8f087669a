"""The KPI page's controls and drill-down levels, as layout only (pages/kpis.py holds the
callbacks and builds the links): the range picker, the breadcrumb with a way back at every
level, one level's split as horizontal bars (largest on top) beside the same rows as links,
its CSV and XLSX exports, and the bottom level: the records, on the Cases (or Alerts) page."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components import kpi_format as fmt
from components.charts import FONT, PALETTE, SIZE, TEXT
from domain.kpis import KpiSpec
from locales import t
from services.kpi_periods import LAST, RANGES

RANGE_DAYS = "kpis-days"
APPLY = "kpis-apply"
GRAPH = "kpis-split"
EXPORT_CSV = "kpis-export-csv"
EXPORT_XLSX = "kpis-export-xlsx"
DOWNLOAD = "kpis-download"
SHOWN = 20  # bars a level draws legibly; the export holds every row
LABEL_CHARS = 34  # a longer name is cut in the chart (the whole name is in the list beside it)
BAR_PX = 30
GRAPH_CONFIG: Any = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def _aria(name: str, value: str) -> dict[str, Any]:
    """An ARIA attribute for a Dash component (its keyword has a hyphen)."""
    return {name: value}


def range_bar(
    current: str,
    since: date | None,
    until: date | None,
    href_of: Callable[[str], str],
    lang: str,
    days: str | None = None,
    today: date | None = None,
):
    """The ranges as links (a link reproduces the view), and two days for a custom range; a
    card's "last N days" (not a choice of the picker) shows as the range in force. `today`: the
    park's date, the last the picker offers and the month it opens on (the browser's own date
    may be another: a computer in another zone, or with a wrong clock)."""
    last = (
        [dcc.Link(t("kpis.range.last", lang, days=days), href=href_of(LAST), className="btn btn-sm btn-primary active",
                  id="kpis-range-last")]
        if current == LAST and days
        else []
    )  # fmt: skip
    links = last + [
        dcc.Link(
            t(f"kpis.range.{name}", lang),
            href=href_of(name),
            className="btn btn-sm " + ("btn-primary active" if name == current else "btn-outline-secondary"),
            id=f"kpis-range-{name}",
        )
        for name in RANGES
        if name != "custom"
    ]
    return html.Div(
        [
            html.Span(t("kpis.range", lang), className="os-toolbar-label"),
            html.Div(links, className="btn-group os-kpi-ranges", role="group"),
            html.Div(
                dcc.DatePickerRange(
                    id=RANGE_DAYS,
                    start_date=since.isoformat() if since else None,
                    end_date=until.isoformat() if until else None,
                    display_format="YYYY-MM-DD",
                    max_date_allowed=today.isoformat() if today else None,
                    initial_visible_month=(until or today).isoformat() if (until or today) else None,
                    start_date_placeholder_text=t("kpis.first_day", lang),
                    end_date_placeholder_text=t("kpis.last_day", lang),
                    minimum_nights=0,
                ),
                className="os-kpi-days",
            ),
            html.Button(
                t("kpis.range.custom", lang),
                id=APPLY,
                className="btn btn-sm " + ("btn-primary" if current == "custom" else "btn-outline-secondary"),
            ),
        ],
        className="os-toolbar os-kpi-toolbar",
    )


def breadcrumb(steps: Sequence[tuple[str, str | None]], lang: str) -> html.Nav:
    """(label, href) from the catalogue down to here; the last step (href None) is where we are."""
    items = []
    for i, (text, href) in enumerate(steps):
        if i:
            items.append(html.Li("›", className="os-crumb-sep", **_aria("aria-hidden", "true")))
        inner = dcc.Link(text, href=href) if href else html.Span(text, **_aria("aria-current", "page"))
        items.append(html.Li(inner, className="os-crumb", title=text))
    return html.Nav(html.Ol(items, className="os-crumbs"), **_aria("aria-label", t("kpis.crumbs", lang)))


def split_figure(rows: Sequence[tuple[str, float | None]], names: dict[str, str], spec: KpiSpec) -> go.Figure:
    """Horizontal bars, the largest on top (plotly draws the first at the bottom), labelled with
    the value as the card writes it; each bar carries its key for the click that drills on."""
    rows = list(rows)[:SHOWN][::-1]
    keys = [k for k, _ in rows]
    labels = [_cut(names.get(k, k)) for k in keys]
    values = [v if v is not None else 0 for _, v in rows]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=keys,
            orientation="h",
            marker_color=PALETTE[0],
            customdata=keys,
            text=[fmt.number(v, spec.format) for _, v in rows],
            textposition="outside",
            textangle=0,
            hovertext=[names.get(k, k) for k in keys],
            hoverinfo="text+x",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": FONT, "color": TEXT, "size": SIZE},
        margin={"l": 8, "r": 72, "t": 8, "b": 8},
        height=max(len(rows), 3) * BAR_PX + 40,
        showlegend=False,
        bargap=0.25,
    )
    fig.update_yaxes(tickmode="array", tickvals=keys, ticktext=labels, automargin=True)
    fig.update_xaxes(rangemode="tozero", showticklabels=False, showgrid=False, zeroline=False)
    return fig


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def split_level(
    spec: KpiSpec,
    by: str,
    rows: Sequence[tuple[str, float | None]],
    href_of: Callable[[str], str],
    can_export: bool,
    lang: str,
) -> html.Section:
    """One level: how the figure splits by `by`, as bars and as links (each drills on)."""
    names = {k: fmt.value_name(by, k, lang) for k, _ in rows[:SHOWN]}
    title = t("kpis.split_by", lang, field=fmt.field_name(by, lang))
    head: list[Any] = [html.H2(title)]
    if can_export:
        head.append(exports(lang))
    if not rows:
        body = [
            html.Div(
                [html.I(className="bi bi-inbox me-2"), t("kpis.split_empty", lang)], className="os-empty"
            )
        ]
        return html.Section(
            [html.Header(head, className="os-panel-head"), *body], className="os-panel os-kpi-split"
        )
    items = [
        html.Li(
            [
                dcc.Link(names[k], href=href_of(k), className="os-kpi-row-name", title=names[k]),
                html.Span(fmt.number(v, spec.format), className="os-kpi-row-value"),
            ],
            className="os-kpi-list-row",
        )
        for k, v in rows[:SHOWN]
    ]
    more = len(rows) - SHOWN
    if more > 0:
        items.append(
            html.Li(t("kpis.more_rows", lang, count=f"{more:,}"), className="os-kpi-list-row os-kpi-more")
        )
    return html.Section(
        [
            html.Header(head, className="os-panel-head"),
            html.Div(
                [
                    html.Div(
                        dcc.Graph(id=GRAPH, figure=split_figure(rows, names, spec), config=GRAPH_CONFIG),
                        className="os-kpi-chart",
                    ),
                    html.Ol(items, className="os-kpi-rows", **_aria("aria-label", title)),
                ],
                className="os-kpi-split-body",
            ),
        ],
        className="os-panel os-kpi-split",
    )


def exports(lang: str) -> html.Div:
    return html.Div(
        [
            html.Button(
                [html.I(className="bi bi-download me-1"), "CSV"],
                id=EXPORT_CSV,
                className="btn btn-sm btn-outline-secondary",
                title=t("kpis.export_title", lang),
            ),
            html.Button(
                "XLSX",
                id=EXPORT_XLSX,
                className="btn btn-sm btn-outline-secondary ms-1",
                title=t("kpis.export_title", lang),
            ),  # fmt: skip
            dcc.Download(id=DOWNLOAD),
        ],
        className="os-kpi-exports",
    )


def records_level(
    records_href: str | None, cases: Sequence[tuple[str, str, str]], total: int | None, lang: str
) -> html.Section:
    """The bottom: the records themselves, on their own page (`records_href`), and the newest
    of them (`cases`: id, href, what) each opening on the Cases page beside its list."""
    if records_href is None:
        body: list = [html.P(t("kpis.no_records_page", lang), className="text-body-secondary")]
    else:
        body = [
            dcc.Link(
                [html.I(className="bi bi-list-check me-1"), t("kpis.open_records", lang)],
                href=records_href,
                className="btn btn-sm btn-primary os-kpi-records-link",
            )
        ]
    if cases:
        body.append(
            html.H3(t("kpis.newest", lang, count=f"{total or len(cases):,}"), className="os-kpi-subhead")
        )
        body.append(
            html.Ol(
                [
                    html.Li(
                        [
                            dcc.Link(case_id, href=href, className="os-kpi-case-id"),
                            html.Span(what, className="os-kpi-case-what", title=what),
                        ],
                        className="os-kpi-list-row",
                    )  # fmt: skip
                    for case_id, href, what in cases
                ],
                className="os-kpi-rows",
            )
        )
    return html.Section(
        [html.Header(html.H2(t("kpis.records", lang)), className="os-panel-head"), *body],
        className="os-panel os-kpi-split os-kpi-records",
    )


# The reasons services.kpi_periods and services.kpi_values give (in English, for logs and the
# API), as the reader's language says them; a reason of another shape is shown as it is.
REASONS = (
    (r"a custom range needs both a first and a last day", "kpis.why.both"),
    (r"the last day (?P<until>\S+) is before the first (?P<since>\S+)", "kpis.why.inverted"),
    (r"the range starts after today \((?P<since>[^)]+)\)", "kpis.why.future"),
    (r"the range starts before (?P<earliest>\S+) \((?P<since>[^)]+)\)", "kpis.why.early"),
    (r"the last (?P<days>.+) days: give 1 to (?P<most>\d+) days", "kpis.why.last"),
    (r"a range of (?P<days>\d+) days is longer than (?P<most>\d+)", "kpis.why.long"),
    (r"unknown range (?P<name>.+?): one of .*", "kpis.why.unknown_range"),
    (r"(?P<name>since|until) (?P<value>.+) is not a day \(YYYY-MM-DD\)", "kpis.why.day"),
    (r"(?P<kpi>\S+) does not drill through (?P<field>.+)", "kpis.why.field"),
    (r"(?P<field>\S+) (?P<value>.+) does not exist", "kpis.why.value"),
    (r"unknown department (?P<value>.+)", "kpis.why.department"),
    (r"no KPI (?P<kpi>.+)", "kpis.why.kpi"),
    (r"(?P<fields>.+): pick a KPI first", "kpis.why.no_kpi"),
)


def reason(detail: str, lang: str) -> str:
    """`detail` in the reader's language when it has a known shape."""
    for pattern, key in REASONS:
        found = re.fullmatch(pattern, detail)
        if found:
            values = found.groupdict()
            if "name" in values and key == "kpis.why.day":
                values["name"] = t("kpis.first_day" if values["name"] == "since" else "kpis.last_day", lang)
            return t(key, lang, **values)
    return detail


def problem(heading_key: str, detail: str, lang: str) -> dbc.Alert:
    """A refused URL or range: what was refused, in the reader's language, and why."""
    return dbc.Alert(
        [html.Strong(t(heading_key, lang)), html.Span(" " + reason(detail[:200], lang))],
        color="warning",
        className="os-kpi-problem",
    )
