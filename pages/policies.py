"""Policies (政策匹配, "the policy finds the enterprise"): the park's support policies, each with
how many enterprises qualify and nearly qualify; the selected one's criteria in words and its
lists (qualify, nearly with the figure missed and by how much, figures missing), each
enterprise opening its profile; the lists exported as CSV or XLSX (audited). The view is the
URL (?policy=<id>&status=<list>), drawn by the router, so a link reproduces it; a tampered
address is answered with a message and the nearest sensible view, never an error.

Enterprises are the park's shared reference data: every role that views screens reads the
lists; exporting them needs the export permission (as the KPI page's exports)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components import kpi_export
from components.economy_nav import economy_tabs
from components.policy_detail import grid_rows, make_grid, make_head, make_tabs
from components.policy_export import export_frame
from components.policy_list import make_policy_list
from components.timefmt import format_time
from domain.policies import STATUSES, unknown_references
from domain.policy_book import Policy
from locales import normalise, t
from security.guard import requires
from security.roles import Permission
from security.web_context import audit_request, current_principal
from services import policies
from services.chains import chain_view
from services.context import get_services
from services.export import export_detail

dash.register_page(
    __name__,
    path="/policies",
    name="Policies",
    title="OneScreen",
    order=6,
    title_key="nav.policies",
    nav_group="/chains",  # listed under the chains' entry, reached by the industry tabs
    icon="bi-award",
    permission=Permission.VIEW_SCREENS,
)

STATE = "policies-state"  # {"policy": id, "status": list} as the URL gave them, checked
NOTICE = "policies-notice"
EXPORT_CSV = "policies-export-csv"
EXPORT_XLSX = "policies-export-xlsx"
DOWNLOAD = "policies-download"


def href(policy_id: str, status: str = "qualifies") -> str:
    query = {"policy": policy_id} | ({} if status == "qualifies" else {"status": status})
    return "/policies?" + urlencode(query)


def _one(value: Any) -> str | None:
    """A query value as one short string (a repeated parameter arrives as a list: refused)."""
    return value[:64] if isinstance(value, str) else None


def _names(lang: str) -> dict[str, str]:
    """Chain and link ids -> their names in `lang`, for criteria and the grid."""
    links = chain_view().value.links
    out: dict[str, str] = {}
    en = lang == "en"
    for row in links.to_dict("records"):
        out[row["chain"]] = (row.get("chain_name_en") if en else row.get("chain_name")) or row["chain"]
        out[row["link"]] = (row.get("name_en") if en else row.get("name")) or row["link"]
    return out


def _pick(query: dict[str, Any], lang: str) -> tuple[Policy | None, str, list[str]]:
    """The policy and list the URL asks for, or the first policy and its qualifying list, with
    the reason in words when the URL asked for something else."""
    notes: list[str] = []
    asked, status = query.get("policy"), _one(query.get("status")) or "qualifies"
    chosen = None
    if asked is not None:
        try:
            chosen = policies.policy(_one(asked) or "")
        except policies.UnknownPolicy:
            notes.append(t("policies.unknown", lang, policy=str(asked)[:64]))
    if status not in STATUSES:
        notes.append(t("policies.bad_status", lang, status=str(query.get("status"))[:32]))
        status = "qualifies"
    if chosen is None:
        book = policies.book()
        chosen = book.policies[0] if book.policies else None
    return chosen, status, notes


def _notice(lines: list[str]) -> dbc.Alert:
    """What the page did instead of what a tampered or stale address asked."""
    return dbc.Alert(
        [html.I(className="bi bi-info-circle me-2"), " ".join(lines)],
        color="warning",
        className="os-policy-problem",
    )


def _origin(lang: str) -> html.Div:
    found = policies.policy_matches()
    zone = get_services().settings.zone
    text = t(
        "policies.origin",
        lang,
        year=found.value.year or "—",
        time=format_time(found.computed_at, zone, "%H:%M"),
    )
    stale = found.value.stale
    parts: list = [html.Span(text)]
    if stale:
        names = ("、" if lang == "zh" else ", ").join(t(f"contract.{c}", lang) for c in stale)
        parts.append(html.Span(" · " + t("policies.stale", lang, contracts=names), className="os-late"))
    return html.Div(parts, className="os-panel-source os-policy-origin")


def _exports(lang: str) -> html.Div | None:
    if not current_principal().can(Permission.EXPORT):
        return None
    title = t("policies.export", lang)
    return html.Div(
        [
            html.Button("CSV", id=EXPORT_CSV, className="btn btn-sm btn-outline-secondary", title=title),
            html.Button(
                "XLSX", id=EXPORT_XLSX, className="btn btn-sm btn-outline-secondary ms-1", title=title
            ),
            dcc.Download(id=DOWNLOAD),
        ],
        className="os-policy-exports",
    )


@requires(Permission.VIEW_SCREENS)
def layout(lang: str = "zh", **query) -> html.Div:
    lang = normalise(lang)
    chosen, status, notes = _pick(query, lang)
    if chosen is None:
        body: list = [html.Div(t("policies.none", lang), className="os-empty")]
        state = None
    else:
        book, names, day = policies.book(), _names(lang), policies.today()
        counts = policies.policy_matches().value.counts
        figures = counts.loc[chosen.id].to_dict() if chosen.id in counts.index else {}
        rows = grid_rows(policies.matches(chosen.id, status), names, lang)
        body = [
            make_policy_list(book.policies, counts, day, chosen.id, lambda pid: href(pid), lang),
            html.Section(
                [
                    make_head(
                        chosen, book, names, day, lang, unknown_references(chosen, chain_view().value.links)
                    ),
                    html.Div(
                        [
                            make_tabs(figures, status, lambda s: href(chosen.id, s), lang),
                            _origin(lang),
                            _exports(lang),
                        ],
                        className="os-policy-bar",
                    ),  # fmt: skip
                    html.Div(make_grid(rows, status, lang), className="os-grid-box"),
                ],
                className="os-panel os-policy-detail",
            ),
        ]
        state = {"policy": chosen.id, "status": status}
    warning = _notice(notes) if notes else None
    return html.Div(
        [
            economy_tabs("/policies", lang),
            dcc.Store(id=STATE, data=state),
            html.Div(id=NOTICE, className="os-notice", children=warning),
            html.Div(body, className="os-page-body os-policies-body"),
        ],
        className="os-page os-policies",
    )


@callback(
    Output(DOWNLOAD, "data"),
    Output(NOTICE, "children"),
    Input(EXPORT_CSV, "n_clicks"),
    Input(EXPORT_XLSX, "n_clicks"),
    State(STATE, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.EXPORT)
def on_policies_export(csv_clicks: Any, xlsx_clicks: Any, state: Any, lang: Any):
    """The selected policy's lists (all three) as CSV or XLSX, the policy checked again from the
    page's state (a tampered one is refused in words), audited like every export."""
    lang = normalise(lang)
    kind = "xlsx" if dash.ctx.triggered_id == EXPORT_XLSX else "csv"
    if not (xlsx_clicks if kind == "xlsx" else csv_clicks):
        return no_update, no_update
    asked = state.get("policy") if isinstance(state, dict) else None
    try:
        chosen = policies.policy(_one(asked) or "")
    except policies.UnknownPolicy:
        return no_update, _notice([t("policies.unknown", lang, policy=str(asked)[:64])])
    frame = export_frame(policies.matches(chosen.id), _names(lang), lang)
    zone = get_services().settings.zone
    audit_request("export", target=f"policy:{chosen.id}",
                  detail=export_detail(len(frame), len(frame), {"format": kind, "policy": chosen.id}))  # fmt: skip
    name = f"policy-{chosen.id}-{datetime.now(zone).strftime('%Y%m%d-%H%M%S')}.{kind}"
    if kind == "xlsx":
        return dcc.send_bytes(kpi_export.xlsx_bytes(frame, zone, sheet=chosen.id), name), None
    return dcc.send_bytes(kpi_export.csv_bytes(frame, zone), name, type="text/csv;charset=utf-8"), None
