"""The KPI page's state as its URL holds it (kpi, range, since, until and the drill-down
filters), checked before anything is read: an unknown KPI, a range that cannot be read, a
filter the KPI does not drill through or a value the park does not have is a Refusal with a
message for the page; a department head naming another department is refused by
security.scope (audited) first. Also the links the page draws: to another view of itself and
to the records on the Cases or Alerts page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import BadRequest, Forbidden

from components import kpi_url
from domain.alert_lifecycle import State as AlertState
from domain.case_lifecycle import Status
from domain.kpis import KpiSpec
from security.scope import Scope, resolve_scope
from security.web_context import current_principal
from services.context import get_services
from services.kpi_periods import MAX_DAYS, Period, PeriodError, period
from services.kpi_values import BadFilter, UnknownKpi, check_filters, spec_of
from services.reference import department_ids

PATH = kpi_url.PATH
DEFAULT_RANGE = "month"
OWN_KEYS = kpi_url.OWN_KEYS


class Refusal(Exception):
    """A view that cannot be shown: `key` is the catalogue key of the heading, `detail` why."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(detail)
        self.key = key
        self.detail = detail


@dataclass(frozen=True)
class View:
    """The URL's state, as text (checked by `check`)."""

    kpi: str | None = None
    range: str = DEFAULT_RANGE
    since: str | None = None
    until: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    days: str | None = None  # the length of a "last N days" range

    @classmethod
    def parse(cls, query: Mapping[str, Any]) -> View:
        def text(name: str) -> str | None:
            raw = query.get(name)
            return str(raw).strip()[:64] or None if raw not in (None, "") else None

        filters = {
            str(k)[:40]: str(v)[:64] for k, v in query.items() if k not in OWN_KEYS and v not in (None, "")
        }
        return cls(
            text("kpi"), text("range") or DEFAULT_RANGE, text("since"), text("until"), filters, text("days")
        )

    def state(self) -> dict[str, Any]:
        """For the page's store (the callbacks read the view back from it)."""
        return {"kpi": self.kpi, "range": self.range, "since": self.since, "until": self.until,
                "days": self.days, "filters": dict(self.filters)}  # fmt: skip

    @classmethod
    def from_state(cls, data: Any) -> View:
        data = data if isinstance(data, dict) else {}
        filters = data.get("filters") if isinstance(data.get("filters"), dict) else {}
        return cls.parse({**{k: data.get(k) for k in OWN_KEYS}, **filters})

    def search(self, **changes: Any) -> str:
        """The URL query of this view with `changes` (kpi, range, since, until, days, filters)."""
        return kpi_url.search({**self.state(), **changes})

    def href(self, **changes: Any) -> str:
        return PATH + self.search(**changes)


@dataclass(frozen=True)
class Checked:
    spec: KpiSpec | None
    period: Period
    scope: Scope
    filters: dict[str, str]  # the drill-down filters as the store is asked them
    own: str | None  # a department head's department


def _day(name: str, raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise Refusal("kpis.refused.range", f"{name} {raw[:20]!r} is not a day (YYYY-MM-DD)") from None


def check(view: View) -> Checked:
    """The view as the store may be asked it, or a Refusal. A department head naming another
    department is refused and audited by security.scope (resolve_scope aborts 403; the page
    says so instead of a blank screen; a callback lets the 403 through: `abort_on_scope`)."""
    return _check(view, abort_on_scope=False)


def check_or_abort(view: View) -> Checked:
    return _check(view, abort_on_scope=True)


def _length(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Refusal(
            "kpis.refused.range", f"the last {raw[:20]!r} days: give 1 to {MAX_DAYS} days"
        ) from None


def _check(view: View, *, abort_on_scope: bool) -> Checked:
    principal = current_principal()
    own = principal.scoped_department
    if "department" in view.filters:
        try:
            resolve_scope(principal, view.filters["department"], what="kpis", known=department_ids)
        except Forbidden:
            if abort_on_scope:
                raise
            raise Refusal("kpis.refused.scope", view.filters["department"]) from None
        except BadRequest as problem:
            raise Refusal("kpis.refused.filter", str(problem.description)) from None
    zone = get_services().settings.zone
    try:
        since, until = _day("since", view.since), _day("until", view.until)
        p = period(view.range, datetime.now(UTC), zone, since, until, _length(view.days))
    except PeriodError as problem:
        raise Refusal("kpis.refused.range", str(problem)) from None
    scope = Scope(own)
    if view.kpi is None:
        if view.filters:
            raise Refusal("kpis.refused.filter", f"{', '.join(sorted(view.filters))[:80]}: pick a KPI first")
        return Checked(None, p, scope, {}, own)
    try:
        spec = spec_of(view.kpi)
    except UnknownKpi as problem:
        raise Refusal("kpis.refused.kpi", str(problem)) from None
    wanted = dict(view.filters)
    if own is not None and "department" in spec.drill:
        wanted.setdefault("department", own)  # a head's drill starts at the level below
    try:
        filters = check_filters(spec, wanted, scope)
    except BadFilter as problem:
        raise Refusal("kpis.refused.filter", str(problem)) from None
    return Checked(spec, p, scope, filters, own)


def _days(p: Period) -> dict[str, str]:
    zone = get_services().settings.zone
    last = (p.end - timedelta(microseconds=1)).astimezone(zone).date()
    return {"since": p.start.astimezone(zone).date().isoformat(), "until": last.isoformat()}


def _listed(condition: Mapping[str, Any], values: list[str]) -> list[str]:
    if "in" in condition:
        return [str(v) for v in condition["in"]]
    if "not_in" in condition:
        return [v for v in values if v not in set(map(str, condition["not_in"]))]
    return []


def records_href(c: Checked) -> str | None:
    found = records_query(c)
    if found is None:
        return None
    path, query = found
    return f"{path}?{urlencode(query)}" if query else path


def records_query(c: Checked) -> tuple[str, dict[str, str]] | None:
    """The records behind the figure on their own page, as near as its filters say: the Cases
    page for case KPIs (days reported when the KPI counts by report time, the statuses and
    "overdue" its conditions name), the Alerts page for alert KPIs; None for other records."""
    spec = c.spec
    if spec is None:
        return None
    query: dict[str, str] = {}
    if spec.contract == "cases":
        query = {k: v for k, v in c.filters.items() if k in ("department", "grid_cell", "case_type")}
        if spec.timed and spec.window is not None and spec.window.field == "reported_at":
            query |= _days(c.period)
        statuses = _listed(spec.where.get("status", {}), [s.value for s in Status])
        if statuses:
            query["status"] = ",".join(statuses)
        if spec.where.get("sla_deadline", {}).get("before_now"):
            query["overdue"] = "1"
        return "/cases", query
    if spec.contract == "alerts":
        query = {k: v for k, v in c.filters.items() if k in ("department", "severity")}
        states = _listed(spec.where.get("state", {}), [s.value for s in AlertState])
        if states:
            query["state"] = ",".join(states)
        severities = _listed(spec.where.get("severity", {}), [])
        if severities and "severity" not in query:
            query["severity"] = ",".join(severities)
        return "/alerts", query
    return None
