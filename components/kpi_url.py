"""The KPI page's address from its state (kpi, range, since, until, days and the drill-down
filters): pure, so that the page (pages/kpis_view.View) and the cards that open it (the
Overview's, components/kpi_card) write the same URL without a component importing a page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

PATH = "/kpis"
OWN_KEYS = ("kpi", "range", "since", "until", "days")


def search(view: Mapping[str, Any]) -> str:
    """The URL query of `view`: kpi and range; the days of a custom range; the length of a
    "last N days" range; then the filters."""
    query = {k: str(view[k]) for k in ("kpi", "range") if view.get(k)}
    if view.get("range") == "custom":
        query |= {k: str(view[k]) for k in ("since", "until") if view.get(k)}
    if view.get("range") == "last" and view.get("days"):
        query["days"] = str(view["days"])
    query |= {k: v for k, v in (view.get("filters") or {}).items() if v}
    return "?" + urlencode(query) if query else ""


def href(view: Mapping[str, Any]) -> str:
    return PATH + search(view)
