"""The audit log as the JSON API and the audit page filter and export it: one way to build a
filter from what either was sent, one cap per download, one summary of the filter for the
export's own audit row. The two differ only in how their input arrives (query parameters,
the page's controls), so a download from either holds the same entries and leaves the same
trace."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from security import audit
from security.audit import AuditFilter
from services.export import park_to_utc

# Entries per download: a wider search is exported in parts (both say when it was cut). Read at
# call time, not bound as a default, so that a test can lower it for both exports at once.
EXPORT_CAP = 100_000


def build_filter(
    *,
    zone: ZoneInfo,
    actions: Iterable[str] = (),
    outcome: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> AuditFilter:
    """The filter for checked values: actions without repeats, blank text as no filter, and
    `since`/`until` (a date: its park-local midnight; a date-time without offset: park-local)
    as UTC bounds, `until` excluded."""

    def words(value: str | None) -> str | None:
        return (value.strip() or None) if value else None

    return AuditFilter(
        actions=tuple(dict.fromkeys(actions)),
        outcome=outcome or None,
        actor=words(actor),
        target=words(target),
        since=park_to_utc(since, zone) if since is not None else None,
        until=park_to_utc(until, zone) if until is not None else None,
    )


def for_export(engine: Engine, filters: AuditFilter) -> tuple[pd.DataFrame, int]:
    """The newest matching entries, at most EXPORT_CAP, and how many match in all (counted only
    when the cap was reached: otherwise the entries are all of them)."""
    cap = EXPORT_CAP
    entries = audit.query(engine, filters, limit=cap)
    total = audit.count(engine, filters) if len(entries) >= cap else len(entries)
    return entries, total


def summary(filters: AuditFilter) -> dict[str, Any]:
    """The filter as the export's audit row records it (only what was set)."""
    shown = {
        "actions": list(filters.actions),
        "outcome": filters.outcome,
        "actor": filters.actor,
        "target": filters.target,
        "since": filters.since,
        "until": filters.until,
    }
    return {key: value for key, value in shown.items() if value}
