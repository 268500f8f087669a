"""Policy matching in the JSON API: the support policies with their criteria and how many
enterprises qualify, nearly qualify or lack figures (GET /api/v1/policies), and one policy's
listed enterprises with what each misses (GET /api/v1/policies/{policy_id}/enterprises). The
matches are services.policies' (computed once per change of the chain contracts), so the API
and the Policies page agree. Enterprises are the park's shared reference data: view_screens
reads them, in every department.

Bad input is answered with a message: an unknown policy 404 naming the ones there are; a status
other than qualifies, nearly or no_figures, an unknown or repeated parameter 422."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort
from marshmallow import validate

from api.base import Query, park_time
from api.chains import plain
from api.v1 import blp, refusals
from domain.policies import STATUSES
from domain.policy_book import Policy
from security.guard import requires
from security.roles import Permission
from services import policies

TEXT = ma.fields.Dict(
    keys=ma.fields.String(), values=ma.fields.String(), metadata={"description": "{zh, en}"}
)


class PoliciesQuery(Query):
    """No parameters: any given is refused (422)."""


class EnterprisesQuery(Query):
    status = ma.fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={"description": "qualifies, nearly or no_figures (figures missing); default: all three"},
    )


class BoundSchema(ma.Schema):
    criterion = ma.fields.String(required=True)
    min = ma.fields.Float(allow_none=True)
    max = ma.fields.Float(allow_none=True)
    near = ma.fields.Float(
        allow_none=True, metadata={"description": "the bound's own nearly margin, in its unit"}
    )
    unit = ma.fields.String(required=True, metadata={"description": "share (0.03 is 3 %), wan_yuan, people, count, years or rank"})  # fmt: skip


class PolicySchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = TEXT
    issuer = TEXT
    document = TEXT
    summary = TEXT
    benefit = TEXT
    valid_from = ma.fields.Date(required=True)
    valid_until = ma.fields.Date(allow_none=True, metadata={"description": "null: until revoked"})
    state = ma.fields.String(
        required=True, metadata={"description": "in_force, expired or upcoming, today in the park"}
    )
    choices = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                             metadata={"description": "criterion -> the values it takes (industry: GB/T 4754-2017 prefixes)"})  # fmt: skip
    bounds = ma.fields.List(ma.fields.Nested(BoundSchema))
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                            metadata={"description": "enterprises per status"})  # fmt: skip


class Freshness(ma.Schema):
    year = ma.fields.Integer(allow_none=True, metadata={"description": "the year of the figures matched"})
    computed_at = ma.fields.String(required=True)
    stale = ma.fields.List(ma.fields.String(), metadata={"description": "contracts whose source is down"})
    tolerance = ma.fields.Float(metadata={"description": "nearly: a bound missed by at most this share of its threshold"})  # fmt: skip
    at_most = ma.fields.Integer(metadata={"description": "nearly: at most this many bounds missed"})


class PoliciesSchema(Freshness):
    policies = ma.fields.List(ma.fields.Nested(PolicySchema), required=True)


class ReasonSchema(ma.Schema):
    kind = ma.fields.String(
        required=True, metadata={"description": "shortfall (a bound missed) or no_figures"}
    )
    criterion = ma.fields.String(required=True)
    bound = ma.fields.String(metadata={"description": "min or max (shortfall)"})
    value = ma.fields.Float(metadata={"description": "the enterprise's figure (shortfall)"})
    threshold = ma.fields.Float(metadata={"description": "the bound it misses (shortfall)"})
    gap = ma.fields.Float(metadata={"description": "by how much, in the unit (shortfall)"})
    unit = ma.fields.String()
    year = ma.fields.Integer(allow_none=True, metadata={"description": "the figures' year (no_figures)"})


class ListedSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True)
    name_en = ma.fields.String(allow_none=True)
    credit_code = ma.fields.String(allow_none=True)
    industry_code = ma.fields.String(allow_none=True)
    chain = ma.fields.String(allow_none=True)
    chain_link = ma.fields.String(allow_none=True)
    size = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True)
    revenue = ma.fields.Float(allow_none=True, metadata={"description": "10,000 yuan"})
    revenue_growth = ma.fields.Float(allow_none=True, metadata={"description": "0.05 is 5 %"})
    rd_share = ma.fields.Float(allow_none=True, metadata={"description": "R&D spending / revenue"})
    employees = ma.fields.Float(allow_none=True)
    patents = ma.fields.Float(allow_none=True)
    patents_total = ma.fields.Float(allow_none=True)
    age_years = ma.fields.Float(allow_none=True)
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))


class ListedPageSchema(Freshness):
    policy = ma.fields.Nested(PolicySchema, required=True)
    status = ma.fields.String(allow_none=True)
    enterprises = ma.fields.List(ma.fields.Nested(ListedSchema), required=True)


def _describe(policy: Policy, figures: dict[str, int]) -> dict[str, Any]:
    texts = ("name", "issuer", "document", "summary", "benefit")
    return {
        "id": policy.id,
        **{what: policy.texts[what] for what in texts if what in policy.texts},
        "valid_from": policy.valid_from,
        "valid_until": policy.valid_until,
        "state": policy.in_force(policies.today()),
        "choices": {k: list(v) for k, v in policy.choices.items()},
        "bounds": [
            {"criterion": b.criterion, "min": b.minimum, "max": b.maximum, "near": b.near, "unit": b.unit}
            for b in policy.bounds
        ],  # fmt: skip
        "counts": {s: int(figures.get(s, 0)) for s in STATUSES},
    }


def _freshness() -> dict[str, Any]:
    found, book = policies.policy_matches(), policies.book()
    return {
        "year": found.value.year,
        "computed_at": park_time(found.computed_at),
        "stale": list(found.value.stale),
        "tolerance": book.tolerance,
        "at_most": book.at_most,
    }


def _counts(policy_id: str) -> dict[str, int]:
    table = policies.policy_matches().value.counts
    return table.loc[policy_id].to_dict() if policy_id in table.index else {}


@blp.route("/policies")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(PoliciesQuery, location="query", unknown=ma.RAISE)
@blp.response(200, PoliciesSchema)
@refusals(422)
def list_policies(_args):
    """Support policies

    Every policy of config/policies.yaml: names, issuer, document, summary and benefit in
    Chinese and English, days of force and whether it is in force today, its criteria, and how
    many enterprises qualify, nearly qualify and lack the figures to judge. Needs view_screens."""
    return {
        **_freshness(),
        "policies": [_describe(p, _counts(p.id)) for p in policies.book().policies],
    }


@blp.route("/policies/<policy_id>/enterprises")
@requires(Permission.VIEW_SCREENS)
@blp.arguments(EnterprisesQuery, location="query", unknown=ma.RAISE)
@blp.response(200, ListedPageSchema)
@refusals(404, 422)
def policy_enterprises(args, policy_id):
    """The enterprises a policy finds

    The enterprises that qualify, nearly qualify (at most the book's at_most bounds missed,
    each within its margin: every shortfall with its value, threshold and gap) or lack the
    figures to judge (the criterion and year missing), qualifying first, each list by revenue.
    `status` keeps one list. Needs view_screens; an unknown policy is 404."""
    try:
        policy = policies.policy(policy_id)
    except policies.UnknownPolicy as exc:
        abort(404, description=str(exc))
    status = args.get("status")
    frame = policies.matches(policy.id, status)
    fields = [f for f in ListedSchema._declared_fields if f != "reasons"]
    listed = [
        {**{f: plain(row.get(f)) for f in fields}, "reasons": [r.as_dict() for r in row["reasons"]]}
        for row in frame.to_dict("records")
    ]
    return {
        **_freshness(),
        "policy": _describe(policy, _counts(policy.id)),
        "status": status,
        "enterprises": listed,
    }
