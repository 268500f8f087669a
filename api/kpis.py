"""KPIs in the JSON API: the catalogue with each KPI's current figure (GET /api/v1/kpis), and one
KPI over a range with its previous period, the same period a year earlier, its series and how it
splits by a drill-down field (GET /api/v1/kpis/{kpi_id}). The figures are services.kpi_values'
(queries in the store, cached by the data's version), so the API, the KPI page and the Overview
agree. Bad input is answered with a message and never reaches a query: an unknown KPI 404, an
inverted or absurd range or a filter the KPI does not take or a value the park does not have
400, a department head naming another department 403 with an audit row (security.scope)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import abort, request

from api.base import park_time, scope_for
from api.kpi_schemas import KpiDetailSchema, KpiQuery, KpisQuery, KpisSchema
from api.v1 import blp, refusals
from domain.kpis import KpiSpec
from locales import best_language, catalogue
from security.guard import requires
from security.roles import Permission
from security.scope import Scope
from security.web_context import current_principal
from services import kpi_values
from services.context import get_services
from services.kpi_periods import Period, PeriodError, period
from store.kpi_sql import PARK_WIDE


def _language(args: dict[str, Any]) -> str:
    return args.get("lang") or best_language(request.accept_languages)


def _health() -> dict[str, Any]:
    """Each source's health, read once per request (the store keeps it for every worker)."""
    return {h.source: h for h in get_services().sources.health()}


def _describe(spec: KpiSpec, lang: str, scope: Scope) -> dict[str, Any]:
    """The catalogue's entry for `spec`: names from the locale catalogues (kpi.<id>,
    kpi_measure.<id>, unit.<unit>), target, direction, bands, owner and drill path."""
    zh, en, own = catalogue("zh"), catalogue("en"), catalogue(lang)
    return {
        "id": spec.id,
        "name": zh.get(f"kpi.{spec.id}", spec.id),
        "name_en": en.get(f"kpi.{spec.id}", spec.id),
        "label": own.get(f"kpi.{spec.id}", spec.id),
        "measure_name": zh.get(f"kpi_measure.{spec.id}"),
        "measure_name_en": en.get(f"kpi_measure.{spec.id}"),
        "measure_label": own.get(f"kpi_measure.{spec.id}"),
        "unit": spec.unit,
        "unit_label": own.get(f"unit.{spec.unit}", spec.unit),
        "format": spec.format,
        "better": spec.better,
        "measure": spec.measure,
        "contract": spec.contract,
        "target": spec.target,
        "bands": None if spec.bands is None else {"green": spec.bands.green, "amber": spec.bands.amber},
        "owner": spec.owner,
        "group": spec.group,
        "drill": list(spec.drill),
        "timed": spec.timed,
        "park_wide": spec.contract in PARK_WIDE and not scope.whole_park,
    }


def _figure(found: kpi_values.KpiReading, health: dict[str, Any]) -> dict[str, Any]:
    state = health.get(found.source) if found.source else None
    return {
        "value": found.value,
        "status": found.status,
        "computed_at": park_time(found.computed_at),
        "source": found.source,
        "fetched_at": park_time(state.last_success) if state is not None else None,
        "stale": state is not None and state.status == "down",
    }


@blp.route("/kpis")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(KpisQuery, location="query", unknown=ma.RAISE)
@blp.response(200, KpisSchema)
@refusals(400, 422)
def kpis(args):
    """KPI catalogue and current figures

    Every KPI of the catalogue (config/kpis.yaml): names, unit, format, target, direction,
    bands, owner, section and drill path, with its current value and status over its own window
    within the department asked for, or all the caller may read. Needs view_screens; a
    department head naming another department gets 403 (audited)."""
    scope = scope_for(current_principal(), args.get("department"), what=request.path)
    lang, health = _language(args), _health()
    out = []
    for spec in kpi_values.catalogue():
        found = kpi_values.reading(spec, scope, None)
        out.append({**_describe(spec, lang, scope), **_figure(found, health)})
    return {"department": scope.department, "lang": lang, "kpis": out}


def _period(args: dict[str, Any]) -> Period:
    """The range asked for; 400 with PeriodError's message when it cannot be read."""
    name, since, until = args["range"], args.get("since"), args.get("until")
    if (since or until) and name != "custom":
        if "range" in request.args:
            abort(400, description=f"from and to go with range=custom, not range={name}")
        name = "custom"  # from/to alone ask for their days
    # to the minute, as services.kpi_values caches it: the range answered is the range computed
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        return period(name, now, get_services().settings.zone, since, until)
    except PeriodError as exc:
        abort(400, description=str(exc))


@blp.route("/kpis/<kpi_id>")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(KpiQuery, location="query", unknown=ma.RAISE)
@blp.response(200, KpiDetailSchema)
@refusals(400, 404, 422)
def kpi(args, kpi_id):
    """One KPI over a range, with its drill-down

    The KPI's value, status, target, the period before and the same period a year earlier, its
    series over the range and its breakdown by `by` (default: the next level of its drill
    path), within the department and drill-down filters given. Needs view_screens. An unknown
    KPI is 404; an inverted or absurd range, a filter the KPI does not drill through or a value
    the park does not have 400; a department head naming another department 403 (audited)."""
    try:
        spec = kpi_values.spec_of(kpi_id)
    except kpi_values.UnknownKpi as exc:
        abort(404, description=str(exc))
    scope = scope_for(current_principal(), args.pop("department", None), what=request.path)
    lang, by = _language(args), args.pop("by", None)
    asked = _period(args)
    given = {k: v for k, v in args.items() if k not in ("lang", "range", "since", "until")}
    try:
        filters = kpi_values.check_filters(spec, given, scope)
        found = kpi_values.reading(spec, scope, asked, filters)
        # one department in scope is the drill path's first level done: the split starts below it
        done = {**filters, **({"department": scope.department} if scope.department else {})}
        by = by or kpi_values.next_level(spec, done)
        groups = kpi_values.split(spec, scope, asked, filters, by) if by else []
    except kpi_values.BadFilter as exc:
        abort(400, description=str(exc))
    return {
        **_describe(spec, lang, scope),
        **_figure(found, _health()),
        "department": scope.department,
        "lang": lang,
        "range": {"name": asked.name, "start": park_time(asked.start), "end": park_time(asked.end)},
        "filters": filters,
        "previous": found.previous,
        "last_year": found.last_year,
        "series": [{"start": park_time(start), "value": value} for start, value in found.series],
        "by": by,
        "breakdown": [{"key": key, "value": value, "status": spec.status(value)} for key, value in groups],
    }
