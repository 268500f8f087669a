"""The audit row every import or sync leaves (a CSV import, a foreign case table, an Open311 poll,
a data-sharing platform sync): who ran it, from which source, how many rows came in new, were
updated or refused, and, when it failed, the error's kind. One shape, so the audit page filters
and reads them all alike."""

from __future__ import annotations

from typing import Protocol

from security import audit
from services.context import get_services


class Counts(Protocol):
    @property
    def imported(self) -> int: ...
    @property
    def updated(self) -> int: ...
    @property
    def rejected(self) -> int: ...


def record_import(
    action: str, actor: str, source: str, report: Counts, *, outcome: str = "ok", error: str | None = None
) -> None:
    detail: dict[str, object] = {
        "source": source,
        "imported": report.imported,
        "updated": report.updated,
        "rejected": report.rejected,
    }
    if error:
        detail["error"] = error
    audit.record(
        get_services().engine, action, actor=actor, outcome=outcome, target=f"source:{source}", detail=detail
    )
