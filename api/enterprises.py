"""Enterprises in the JSON API: a page of enterprises with their facts, searched by name or credit
code and filtered by chain and link (GET /api/v1/enterprises), and one enterprise's profile — its
facts, yearly history and where it stands against its link's median (GET
/api/v1/enterprises/{id}). The figures are services.enterprises' (the chain view, computed once
per change of the chain contracts), so the API and the profile page agree. Enterprises are the
park's shared reference data (services/scoping.PARK_WIDE): view_screens reads them in every
department. The profile leaves out the cases and alerts near the firm: those are single records,
read through /cases and /alerts within the caller's scope.

Bad input is answered with a message: an unknown enterprise 404; a limit outside 1-100, an
offset below 0, an unknown chain or link, or 18 letters and digits that are no valid credit
code 400."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import marshmallow as ma
from flask import abort

from api.base import park_time
from api.enterprise_schemas import EnterpriseListSchema, EnterprisesQuery, ProfileSchema
from api.v1 import blp, refusals
from security.guard import requires
from security.roles import Permission
from services.chains import chain_view
from services.enterprises import UnknownFilter, industry_name, listing, profile

REVENUE_UNIT = "10k_yuan"


def _firm(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "industry_name": industry_name(row.get("industry_code"))}


@blp.route("/enterprises")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(EnterprisesQuery, location="query", unknown=ma.RAISE, error_status_code=400)
@blp.response(200, EnterpriseListSchema)
@refusals(400)
def enterprises(args: dict[str, Any]):
    """Enterprises

    A page of the park's enterprises with their facts for the year of the figures (names,
    credit code, industry class, chain and link, location, founding and age, revenue, tax,
    employees, R&D, patents, growth, size class). `q` searches names (Chinese or English, part
    of one, any case) and credit codes (whole, or the first 6 or more characters), best match
    first; without it, by id. `chain` and `link` filter. A limit outside 1-100, an unknown chain
    or link, or a `q` of 18 letters and digits that is no valid credit code is 400, naming why.
    Needs view_screens."""
    cached = chain_view()
    try:
        found = listing(args.get("q"), args.get("chain"), args.get("link"), args["limit"], args["offset"])
    except UnknownFilter as exc:
        abort(400, description=str(exc))
    if found.problem is not None:
        abort(400, description=f"q: {found.problem.message}")
    view = cached.value
    return {
        "total": found.total,
        "limit": args["limit"],
        "offset": args["offset"],
        "year": view.year,
        "computed_at": park_time(cached.computed_at),
        "stale": list(view.stale),
        "revenue_unit": REVENUE_UNIT,
        "enterprises": [_firm(row) for row in found.rows],
    }


@blp.route("/enterprises/<enterprise_id>")
@requires(Permission.VIEW_SCREENS)
@blp.response(200, ProfileSchema)
@refusals(404)
def enterprise(enterprise_id: str):
    """One enterprise's profile

    Its facts (as in /enterprises, with its link's and chain's names and its industry class's
    name), its yearly figures oldest first (with revenue growth and R&D share per year), and
    each of revenue, growth, R&D share, employees, patents and tax against the median of its
    link's enterprises (how many, and above, below or at). Cases and alerts near it are not
    here (single records: /cases, /alerts). An unknown id is 404. Needs view_screens."""
    found = profile(enterprise_id) if len(enterprise_id) <= 64 else None
    if found is None:
        abort(404, description=f"no enterprise {enterprise_id[:64]!r}")
    return {
        "enterprise": {**found.facts, "industry_name": found.industry_name},
        "history": found.history,
        "comparisons": [asdict(c) for c in found.comparisons],
        "year": found.year,
        "computed_at": park_time(found.computed_at),
        "stale": list(found.stale),
        "sources": list(found.sources),
        "revenue_unit": REVENUE_UNIT,
    }
