"""Reference data of the park read from the store (departments), cached for a few minutes:
it changes when an operator edits it, not while a screen refreshes."""

from __future__ import annotations

from sqlalchemy import select

from services.cache import cache
from services.context import get_services
from store.models import Case, Department

TTL_S = 300


def departments() -> list[dict[str, str]]:
    """[{id, name, name_en}, ...] in the store's order."""
    cached = cache.get("departments")
    if cached is None:
        with get_services().engine.connect() as connection:
            rows = connection.execute(
                select(Department.id, Department.name, Department.name_en).order_by(Department.pk)
            )
            cached = [dict(row._mapping) for row in rows]
        cache.set("departments", cached, timeout=TTL_S)
    return cached


def department_name(department_id: str, lang: str) -> str:
    for row in departments():
        if row["id"] == department_id:
            return row["name"] if lang == "zh" else row["name_en"]
    return department_id


def department_ids() -> set[str]:
    return {row["id"] for row in departments()}


def grid_cells() -> list[str]:
    """The grid cells cases are reported in, sorted (one index scan; a new cell is a new
    patrol area, which appears within TTL_S)."""
    cached = cache.get("grid_cells")
    if cached is None:
        with get_services().engine.connect() as connection:
            query = (
                select(Case.grid_cell).where(Case.grid_cell.is_not(None)).distinct().order_by(Case.grid_cell)
            )
            cached = [row[0] for row in connection.execute(query)]
        cache.set("grid_cells", cached, timeout=TTL_S)
    return cached
