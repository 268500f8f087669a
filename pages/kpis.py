"""KPIs (指标): the catalogue's KPIs as cards by section over a picked range in the park's time
zone, each with its target, RAG status, sparkline and change against the period before and a
year earlier; a card opens its drill-down (department → grid cell → case type → the cases →
one case), each level a breadcrumb, a bar chart, its rows as links and its CSV and XLSX export.
The whole view is the URL (pages/kpis_view.py), so a link reproduces it: the page is drawn by
the router from the URL, and every control writes the URL. A department head sees their own
department only and starts at its grid cells."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import dash
from dash import MATCH, Input, Output, State, callback, dcc, html, no_update

from components import kpi_drill, kpi_export, kpi_tiles
from components import kpi_format as fmt
from components.admin_common import DATE_PICKER_CODE, load_with_the_app
from components.case_panel import STATUS_COLOUR
from components.timefmt import format_time
from locales import normalise, t
from pages.kpis_view import Checked, Refusal, View, check, check_or_abort, records_href, records_query
from security.guard import requires
from security.roles import Permission
from security.web_context import audit_request, current_principal
from services.case_query import CaseFilter, case_page
from services.case_types import type_name
from services.context import get_services
from services.export import export_detail
from services.kpi_periods import PeriodError, park_today, period
from services.kpi_values import UnknownKpi, catalogue, next_level, reading, spec_of, split
from services.reference import department_name

dash.register_page(
    __name__,
    path="/kpis",
    name="KPIs",
    title="OneScreen",
    order=5,
    title_key="nav.kpis",
    icon="bi-graph-up-arrow",
    permission=Permission.READ_RECORDS,
)
load_with_the_app(DATE_PICKER_CODE)

URL = "kpis-url"
STATE = "kpis-state"  # the view as the URL gave it (View.state): the callbacks start from it
NOTICE = "kpis-notice"
SLOT = "kpis-slot"  # a card's place, filled by its own request
NEWEST = 10  # the newest cases the bottom level lists (the Cases page lists them all)
# The park's date the cards were drawn on, asked of the server each minute: at the park's
# midnight (never the browser's: its zone and clock may be anything) the cards over a relative
# range ("today", "this month") are drawn again, so a page left open shows the new day.
DAY = "kpis-day"
DAY_TICK = "kpis-day-tick"
DAY_CHECK_MS = 60_000


def _source(name: str | None, lang: str) -> str:
    sources = get_services().sources
    return sources.title(name, lang) if name else t("panel.no_source", lang)


def _cards(view: View, c: Checked, lang: str) -> list:
    """The cards' frames by section; each fills itself in (on_kpi_card)."""
    tiles: dict[str, list] = {}
    for spec in catalogue():
        if spec.page:
            slot = html.Div(kpi_tiles.pending_tile(spec, lang), id={"type": SLOT, "kpi": spec.id},
                            className="os-kpi-slot")  # fmt: skip
            tiles.setdefault(spec.group, []).append(slot)
    return kpi_tiles.sections(tiles, lang)


def _crumbs(view: View, c: Checked, lang: str) -> list[tuple[str, str | None]]:
    """The catalogue, the KPI (a head's: with their department), then each value drilled on."""
    spec = c.spec
    assert spec is not None
    shown = [f for f in spec.drill if f in c.filters and not (f == "department" and c.own)]
    name = fmt.label(spec, lang)
    if c.own:
        name = f"{name} · {department_name(c.own, lang)}"
    steps: list[tuple[str, str | None]] = [
        (t("kpis.all", lang), view.href(kpi=None, filters={})),
        (name, view.href(filters={}) if shown else None),
    ]
    for i, field in enumerate(shown):
        kept = {f: c.filters[f] for f in shown[: i + 1]}
        what = fmt.field_name(field, lang)
        text = t(
            "kpis.crumb",
            lang,
            field=what[:1].upper() + what[1:],
            value=fmt.value_name(field, c.filters[field], lang),
        )
        steps.append((text, view.href(filters=kept) if i + 1 < len(shown) else None))
    return steps


def _newest(c: Checked, lang: str) -> tuple[list[tuple[str, str, str]], int | None]:
    """The newest cases the bottom level lists, each opening on the Cases page."""
    spec = c.spec
    found = records_query(c)
    if spec is None or spec.contract != "cases" or found is None:
        return [], None
    services = get_services()
    zone = services.settings.zone
    f = CaseFilter.parse(found[1], {})
    rows, total = case_page(services.engine, f, c.scope, zone, start=0, end=NEWEST,
                            sort=[{"colId": "reported_at", "sort": "desc"}], now=datetime.now(UTC))  # fmt: skip
    out = []
    for row in rows:
        status = t(f"case.status.{row['status']}", lang) if row["status"] in STATUS_COLOUR else row["status"]
        when = format_time(row["reported_at"], zone, "%Y-%m-%d %H:%M")
        what = f"{type_name(row['case_type'], lang)} · {status} · {when}"
        out.append((row["id"], f"/cases?{urlencode(f.query() | {'case': row['id']})}", what))
    return out, total


def _drill(view: View, c: Checked, lang: str) -> list:
    spec = c.spec
    assert spec is not None
    zone = get_services().settings.zone
    r = reading(spec, c.scope, c.period, c.filters)
    tile = kpi_tiles.kpi_tile(r, view.href(), _source(r.source, lang), zone, lang)
    records = records_href(c)
    side: list = [tile]
    by = next_level(spec, c.filters)
    if records is not None and by is not None:  # at the bottom the records are the level itself
        side.append(dcc.Link([html.I(className="bi bi-list-check me-1"), t("kpis.open_records", lang)],
                             href=records, className="btn btn-sm btn-outline-secondary os-kpi-records-link"))  # fmt: skip
    if not spec.drill:
        main = html.Section(html.P(t("kpis.no_drill", lang), className="text-body-secondary"),
                            className="os-panel os-kpi-split")  # fmt: skip
    elif by is None:
        cases, total = _newest(c, lang)
        main = kpi_drill.records_level(records, cases, total, lang)
    else:
        rows = split(spec, c.scope, c.period, c.filters, by)
        can_export = current_principal().can(Permission.EXPORT)
        main = kpi_drill.split_level(spec, by, rows, lambda k: view.href(filters={**_url_filters(view, c), by: k}),
                                     can_export, lang)  # fmt: skip
    return [
        kpi_drill.breadcrumb(_crumbs(view, c, lang), lang),
        html.Div([html.Div(side, className="os-kpi-drill-side"), main], className="os-kpi-drill"),
    ]


def _url_filters(view: View, c: Checked) -> dict[str, str]:
    """The filters a link carries: those of the URL (a head's department stays implicit)."""
    return {k: v for k, v in c.filters.items() if k in view.filters or not (k == "department" and c.own)}


def _body(view: View, lang: str) -> tuple[list, Any]:
    """The page's body for `view`, or the refusal's message in its place."""
    try:
        c = check(view)
        return (_drill(view, c, lang) if c.spec is not None else _cards(view, c, lang)), None
    except Refusal as refused:
        back = kpi_drill.breadcrumb([(t("kpis.all", lang), View().href())], lang)  # a way out
        return [back], kpi_drill.problem(refused.key, refused.detail, lang)


def _days(view: View) -> tuple[date | None, date | None]:
    def day(raw: str | None) -> date | None:
        try:
            return date.fromisoformat(raw[:10]) if raw else None
        except ValueError:
            return None

    return day(view.since), day(view.until)


@requires(Permission.READ_RECORDS)
def layout(lang: str = "zh", **query) -> html.Div:
    lang = normalise(lang)
    view = View.parse(query)
    body, refused = _body(view, lang)
    since, until = _days(view)
    today = park_today(get_services().settings.zone)
    bar = kpi_drill.range_bar(
        view.range, since, until, lambda name: view.href(range=name), lang, view.days, today
    )
    return html.Div(
        [
            dcc.Location(id=URL, refresh="callback-nav"),  # a new URL is drawn by the router
            dcc.Store(id=STATE, data=view.state()),
            dcc.Store(id=DAY, data=today.isoformat()),
            dcc.Interval(id=DAY_TICK, interval=DAY_CHECK_MS),
            bar,
            html.Div(id=NOTICE, className="os-notice", children=refused),
            html.Div(body, className="os-page-body os-scroll os-kpi-body"),
        ],
        className="os-page os-kpis",
    )


@callback(Output(DAY, "data"), Input(DAY_TICK, "n_intervals"), State(DAY, "data"), prevent_initial_call=True)
@requires(Permission.READ_RECORDS)
def on_kpi_day(_tick: Any, shown: Any):
    """The park's date once it is no longer the one the page shows (the cards then redraw)."""
    today = park_today(get_services().settings.zone).isoformat()
    return today if today != shown else no_update


@callback(
    Output({"type": SLOT, "kpi": MATCH}, "children"),
    Input({"type": SLOT, "kpi": MATCH}, "id"),
    Input(DAY, "data"),
    State(STATE, "data"),
    State("shell-lang", "value"),
)
@requires(Permission.READ_RECORDS)
def on_kpi_card(slot: Any, _day: Any, state: Any, lang: Any):
    """One card's figure over the URL's range, within the reader's scope (again when the park's
    day turns: `_day`)."""
    lang = normalise(lang)
    view = View.from_state(state)
    try:
        c = check(View(range=view.range, since=view.since, until=view.until, days=view.days))
        spec = spec_of(slot.get("kpi") if isinstance(slot, dict) else None)
    except Refusal as refused:
        return kpi_drill.problem(refused.key, refused.detail, lang)
    except UnknownKpi as problem:
        return kpi_drill.problem("kpis.refused.kpi", str(problem), lang)
    r = reading(spec, c.scope, c.period, {})
    zone = get_services().settings.zone
    return kpi_tiles.kpi_tile(r, view.href(kpi=spec.id, filters={}), _source(r.source, lang), zone, lang)


@callback(
    Output(URL, "search"),
    Input(kpi_drill.GRAPH, "clickData"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_kpi_bar(click: Any, state: Any):
    """A bar clicked drills on: its value joins the URL's filters (the page, drawn again from
    the URL, checks it like any other link)."""
    try:
        key = click["points"][0]["customdata"]
    except (KeyError, IndexError, TypeError):
        return no_update
    view = View.from_state(state)
    if not isinstance(key, str) or not view.kpi:
        return no_update
    try:
        c = check(view)
    except Refusal:
        return no_update
    by = next_level(c.spec, c.filters) if c.spec is not None else None
    if by is None:
        return no_update
    return view.search(filters={**_url_filters(view, c), by: key[:64]})


@callback(
    Output(URL, "search", allow_duplicate=True),
    Output(NOTICE, "children"),
    Input(kpi_drill.APPLY, "n_clicks"),
    State(kpi_drill.RANGE_DAYS, "start_date"),
    State(kpi_drill.RANGE_DAYS, "end_date"),
    State(STATE, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.READ_RECORDS)
def on_kpi_custom(clicks: Any, start: Any, end: Any, state: Any, lang: Any):
    """Two days become the custom range in the URL; a range that cannot be read says why."""
    lang = normalise(lang)
    if not clicks:
        return no_update, no_update
    try:
        since = date.fromisoformat(str(start)[:10]) if start else None
        until = date.fromisoformat(str(end)[:10]) if end else None
        period("custom", datetime.now(UTC), get_services().settings.zone, since, until)
    except ValueError as problem:  # PeriodError is one
        detail = str(problem) if isinstance(problem, PeriodError) else f"{str(start)[:20]} – {str(end)[:20]}"
        return no_update, kpi_drill.problem("kpis.refused.range", detail, lang)
    assert since is not None and until is not None
    view = View.from_state(state)
    return view.search(range="custom", since=since.isoformat(), until=until.isoformat()), None


@callback(
    Output(kpi_drill.DOWNLOAD, "data"),
    Output(NOTICE, "children", allow_duplicate=True),
    Input(kpi_drill.EXPORT_CSV, "n_clicks"),
    Input(kpi_drill.EXPORT_XLSX, "n_clicks"),
    State(STATE, "data"),
    State("shell-lang", "value"),
    prevent_initial_call=True,
)
@requires(Permission.EXPORT)
def on_kpi_export(csv_clicks: Any, xlsx_clicks: Any, state: Any, lang: Any):
    """This level's split as CSV or XLSX, checked again from the view (a department head's
    tampered department: 403 and an audit row) and audited like every export."""
    lang = normalise(lang)
    kind = "xlsx" if dash.ctx.triggered_id == kpi_drill.EXPORT_XLSX else "csv"
    if not (xlsx_clicks if kind == "xlsx" else csv_clicks):
        return no_update, no_update
    view = View.from_state(state)
    try:
        c = check_or_abort(view)
    except Refusal as refused:
        return no_update, kpi_drill.problem(refused.key, refused.detail, lang)
    spec = c.spec
    by = next_level(spec, c.filters) if spec is not None else None
    if spec is None or by is None:
        return no_update, no_update
    rows = split(spec, c.scope, c.period, c.filters, by)
    zone = get_services().settings.zone
    frame = kpi_export.split_frame(spec, by, rows, lang)
    audit_request("export", target=f"kpi:{spec.id}", detail=export_detail(len(rows), len(rows), {
        "format": kind, "by": by, "range": view.range, "from": c.period.start, "to": c.period.end, **c.filters}))  # fmt: skip
    name = f"kpi-{spec.id}-{by}-{datetime.now(zone).strftime('%Y%m%d-%H%M%S')}.{kind}"
    if kind == "xlsx":
        data = kpi_export.xlsx_bytes(frame, zone, sheet=spec.id)
        return dcc.send_bytes(data, name), None
    return dcc.send_bytes(kpi_export.csv_bytes(frame, zone), name, type="text/csv;charset=utf-8"), None
