"""The Cases page's "Act before complaints" (未诉先办) list: the findings of services.hotspots,
most surprising first, each saying where (the grid cell's name), what (the case type), how many
against how many are usual, in words, and its p and q. A finding is a link to the Cases page
with the grid's own URL filters (grid cell, case type, the window's park-local days), so a click
lists exactly the cases of a count finding (a repeat's are among them) and a link reproduces it.
Drawn with the page's layout from the cached findings: no callback of its own."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import dcc, html

from domain.hotspots import COUNT, Finding
from locales import t
from security.scope import Scope
from services import hotspots
from services.case_query import CaseFilter
from services.case_types import type_name

PANEL = "cases-hotspots"
SHOWN = 20  # the list is a to-do list, not a report: the top twenty


def finding_href(finding: Finding, days: tuple[str, str]) -> str:
    """The Cases page filtered to the finding's cell, type and window (park-local days)."""
    query = {
        "grid_cell": finding.grid_cell,
        "case_type": finding.case_type,
        "since": days[0],
        "until": days[1],
    }
    return "/cases?" + urlencode(query)


def _amount(value: float) -> str:
    """An expected count as a reader takes it in: 12, 3.4, 0.31, 0.04."""
    if value >= 10:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.01 else "<0.01"


def in_words(finding: Finding, days: int, lang: str) -> str:
    """ "12 cases in 7 days where 3.0 are usual" (or "where almost none are")."""
    usual = finding.expected >= 0.05
    values = {"observed": finding.observed, "days": days, "expected": _amount(finding.expected)}
    if finding.kind == COUNT:
        key = "hotspots.count_words" if usual else "hotspots.count_words_none"
    else:
        key = "hotspots.repeat_words" if usual else "hotspots.repeat_words_none"
        values["radius"] = f"{finding.radius_m or 0:.0f}"
    return t(key, lang, **values)


def _is_shown(finding: Finding, current: CaseFilter) -> bool:
    return current.grid_cell == (finding.grid_cell,) and current.case_type == (finding.case_type,)


def _item(finding: Finding, days: tuple[str, str], n_days: int, names: dict, lang: str, current: CaseFilter):
    cell = names.get(finding.grid_cell, (finding.grid_cell, finding.grid_cell))[0 if lang == "zh" else 1]
    kind = "count" if finding.kind == COUNT else "repeat"
    evidence = t(
        "hotspots.evidence", lang, observed=finding.observed, expected=_amount(finding.expected),
        p=f"{finding.p:.1g}", q=f"{finding.q:.1g}", cases=len(finding.case_ids),
    )  # fmt: skip
    return dcc.Link(
        [
            html.Div(
                [
                    html.Span(
                        t(f"hotspots.kind.{kind}", lang), className=f"os-hotspot-kind os-hotspot-{kind}"
                    ),
                    html.Span(cell, className="os-hotspot-place", title=f"{cell} ({finding.grid_cell})"),
                    html.Span(type_name(finding.case_type, lang), className="os-hotspot-type"),
                ],
                className="os-hotspot-head",
            ),
            html.Div(in_words(finding, n_days, lang), className="os-hotspot-words"),
            html.Div(evidence, className="os-hotspot-evidence"),
        ],
        href=finding_href(finding, days),
        title=t("hotspots.open", lang),
        className="os-hotspot" + (" os-hotspot-shown" if _is_shown(finding, current) else ""),
    )


def hotspot_panel(scope: Scope, current: CaseFilter, lang: str) -> html.Section:
    """The ranked list for `scope`; `current` (the page's filter) marks the finding it shows."""
    result = hotspots.hotspots(scope)
    w = result.windows
    days = (w.first_day.isoformat(), w.last_day.isoformat())
    n_days = (w.last_day - w.first_day).days + 1
    names = hotspots.cell_names()
    items = [_item(f, days, n_days, names, lang, current) for f in result.findings[:SHOWN]]
    body = items or [html.P(t("hotspots.none", lang, days=n_days), className="os-hotspot-none")]
    return html.Section(
        [
            html.Header(
                [
                    html.H2(t("hotspots.title", lang)),
                    html.Span(str(len(result.findings)), className="os-count"),
                ],
                className="os-panel-head",
            ),
            html.P(
                t("hotspots.method", lang, days=n_days, weeks=hotspots.RULES.baseline_weeks),
                className="os-hotspot-method",
            ),
            html.Div(body, className="os-hotspot-list"),
        ],
        id=PANEL,
        className="os-panel os-hotspots",
    )
