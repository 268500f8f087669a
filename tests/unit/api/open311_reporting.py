"""What the Open311 report modules share: an app of their own that limits reports to LIMIT a
minute per token, a unit cell of its park, reporter tokens and reads of its store."""

from __future__ import annotations

from sqlalchemy import func, select

from security import tokens
from store.models import Case, CaseEvent, Feature

LIMIT = 5  # reports per token per minute in this app
CODE = "um.manhole_cover_damaged"
PATH = "/open311/v2/requests.json"


def report_app(tmp_path_factory):
    """An app of its own: these tests file cases (the package's app is read by others)."""
    from apps import build_app

    return build_app(
        tmp_path_factory.mktemp("open311-report"), demo_cases=300, open311_reports_per_minute=LIMIT
    )


def first_cell(engine):
    """A unit cell of the park and a point inside it (its outline's mean: the cells are rectangles)."""
    with engine.connect() as c:
        cell_id, geometry = c.execute(
            select(Feature.id, Feature.geometry)
            .where(Feature.layer == "grid_unit")
            .order_by(Feature.id)
            .limit(1)
        ).one()
    ring = geometry["coordinates"][0][:-1]
    return cell_id, sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)


_CLIENTS = iter(range(1, 1000))


def reporter_token(engine, role: str = "reporter") -> str:
    return tokens.issue(engine, f"citizen-app-{next(_CLIENTS)}", role, actor="admin")[0]


def _count(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(Case)).scalar_one()


def _case(engine, case_id):
    with engine.connect() as c:
        return dict(c.execute(select(Case.__table__).where(Case.id == case_id)).one()._mapping)


def _events(engine, case_id):
    with engine.connect() as c:
        return [
            dict(r._mapping)
            for r in c.execute(select(CaseEvent.__table__).where(CaseEvent.case_id == case_id))
        ]


def _form(cell, **extra):
    _, lat, lon = cell
    return {
        "service_code": CODE,
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "description": "井盖松动",
        **extra,
    }
