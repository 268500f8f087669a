"""Scoped reads of single records (cases) for the JSON API, the Open311 endpoints and exports.

The scope is a required argument and is applied inside the read (services.scoping), so no
caller can forget it; a case outside the scope reads as missing, so that its existence does not
leak. Reads come from the cached snapshot of `cases`, newest report first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import pandas as pd

from security.scope import WHOLE_PARK, Scope
from services import scoping
from services.context import get_services
from services.data import snapshot

EXPORT_CAP = 200_000  # rows per download: more than a spreadsheet is pleasant to open


def _many(value: str | Collection[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _filtered(
    scope: Scope,
    *,
    status: str | Collection[str] | None,
    domain: str | None,
    case_type: str | Collection[str] | None,
    ids: Collection[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> pd.DataFrame:
    frame = scoping.scoped_snapshot("cases", scope)
    mask = pd.Series(True, index=frame.index)
    if status is not None:
        mask &= frame["status"].isin(_many(status))
    if domain is not None:
        mask &= frame["domain"] == domain
    if case_type is not None:
        mask &= frame["case_type"].isin(_many(case_type))
    if ids is not None:
        mask &= frame["id"].isin(list(ids))
    if since is not None:
        mask &= frame["reported_at"] >= since
    if until is not None:
        mask &= frame["reported_at"] < until
    return frame[mask]


def _newest(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    """The `count` newest rows, newest first; the id breaks ties so that pages do not overlap.
    A page needs only the first rows: selecting them before sorting is ten times faster than
    sorting a park's 300,000 cases (measured: 15 ms against 160 ms)."""
    if count < len(frame):
        frame = frame.nlargest(count, "reported_at", keep="all")  # ties at the edge stay in
    return frame.sort_values(["reported_at", "id"], ascending=False).head(count)


def cases(
    scope: Scope,
    *,
    status: str | Collection[str] | None = None,
    domain: str | None = None,
    case_type: str | Collection[str] | None = None,
    ids: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """One page of the cases within `scope` that match every filter given (status and
    case_type: one value or several; since/until: timezone-aware bounds on reported_at,
    until excluded), and how many match in all. Raises SourceMisconfigured as snapshot() does."""
    frame = _filtered(
        scope, status=status, domain=domain, case_type=case_type, ids=ids, since=since, until=until
    )
    return _newest(frame, offset + limit).iloc[offset:], len(frame)


def cases_for_export(
    scope: Scope,
    *,
    status: str | Collection[str] | None = None,
    domain: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cap: int = EXPORT_CAP,
) -> tuple[pd.DataFrame, int]:
    """The matching cases within `scope`, at most `cap` of them (the newest), and how many
    match in all (more than `cap` means the download is cut)."""
    return cases(scope, status=status, domain=domain, since=since, until=until, limit=cap)


def case(scope: Scope, case_id: str) -> dict[str, Any] | None:
    """The case `case_id` as a record (see records_of), or None when there is none within `scope`."""
    frame = scoping.scoped_snapshot("cases", scope)
    found = records_of(frame[frame["id"] == case_id].head(1))
    return found[0] if found else None


def outside_scope(scope: Scope, case_ids: Collection[str]) -> list[str]:
    """Those of `case_ids` that exist but lie outside `scope`, to audit a probe of another
    department's cases. Never to answer with: the caller still answers as if they were missing."""
    if scope.whole_park:
        return []
    every = scoping.scoped_snapshot("cases", WHOLE_PARK)
    asked = every[every["id"].isin(list(case_ids))]
    inside = set(scoping.scope_frame("cases", asked, scope)["id"])
    return [case_id for case_id in dict.fromkeys(asked["id"]) if case_id not in inside]


def freshness() -> tuple[datetime | None, bool]:
    """When the cases were read and whether their source is down (the read served its last good data)."""
    if get_services().sources.source_of("cases") is None:
        return None, False
    snap = snapshot("cases")
    return snap.fetched_at, snap.stale


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain values: None for a missing value (NaN, NaT, pd.NA), datetimes as
    aware pandas Timestamps."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
