"""The industry-chain endpoints' schemas (api/chains.py): the query of the targets list and the
bodies, in the one OpenAPI document. Figures are JSON numbers or null (no data: an empty link has
no revenue, a firm without last year's figures no size); revenue and tax are in 10,000 yuan
(万元), as Chinese statistics report them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.base import Query

TARGET_STATUSES = ("empty", "weak")
MAX_TARGETS = 200


def _number(description: str) -> ma.fields.Float:
    return ma.fields.Float(allow_none=True, metadata={"description": description})


def _count(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(allow_none=True, metadata={"description": description})


class TargetsQuery(Query):
    chain = ma.fields.String(
        validate=validate.Length(1, 64),
        metadata={"description": "only this chain's targets (an id from /chains); default: every chain"},
    )
    status = ma.fields.String(
        validate=validate.OneOf(TARGET_STATUSES),
        metadata={"description": "empty (补链: no enterprise) or weak (强链); default: both"},
    )
    limit = ma.fields.Integer(
        validate=validate.Range(1, MAX_TARGETS),
        metadata={"description": f"at most this many, best first (1-{MAX_TARGETS}); default: all"},
    )


class FindingSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        metadata={
            "description": "empty, few, alone, concentrated, falling or thin (config/chain_rules.yaml)"
        },
    )
    values = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={
            "description": "the figures the finding quotes: count and minimum (few), share, name and "
            "name_en (alone, concentrated), growth (falling), share and limit (thin); shares 0-1"
        },
    )


class StageRevenueSchema(ma.Schema):
    upstream = _number("revenue of the chain's upstream links")
    midstream = _number("revenue of its midstream links")
    downstream = _number("revenue of its downstream links")


class ChainSummarySchema(ma.Schema):
    chain = ma.fields.String(required=True)
    name = ma.fields.String(metadata={"description": "in Chinese"})
    name_en = ma.fields.String()
    links = ma.fields.Integer(required=True, metadata={"description": "links drawn for the chain"})
    filled = ma.fields.Integer(required=True, metadata={"description": "links with at least one enterprise"})
    empty = ma.fields.Integer(required=True, metadata={"description": "links with none (补链)"})
    weak = ma.fields.Integer(required=True, metadata={"description": "links with a finding (强链)"})
    enterprises = ma.fields.Integer(required=True)
    revenue = _number("last year's revenue of its enterprises")
    revenue_by_stage = ma.fields.Nested(StageRevenueSchema, required=True)


class FreshnessSchema(ma.Schema):
    year = ma.fields.Integer(
        allow_none=True, metadata={"description": "the year of the figures (the latest)"}
    )
    computed_at = ma.fields.DateTime(metadata={"description": "when the figures were computed (park time)"})
    stale = ma.fields.List(
        ma.fields.String(), metadata={"description": "contracts whose source is down: their last good data"}
    )
    sources = ma.fields.List(ma.fields.String(), metadata={"description": "the sources read"})
    revenue_unit = ma.fields.String(metadata={"description": "10k_yuan: 10,000 yuan (万元)"})


class ChainsSchema(FreshnessSchema):
    chains = ma.fields.List(ma.fields.Nested(ChainSummarySchema), required=True)


class TopEnterpriseSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String()
    name_en = ma.fields.String()
    share = _number("its share of the link's revenue, 0-1")


class LinkSchema(ma.Schema):
    chain = ma.fields.String(required=True)
    link = ma.fields.String(required=True)
    name = ma.fields.String()
    name_en = ma.fields.String()
    stage = ma.fields.String(metadata={"description": "upstream, midstream or downstream"})
    parent_link = ma.fields.String(allow_none=True, metadata={"description": "the link that feeds it"})
    status = ma.fields.String(required=True, metadata={"description": "empty, weak or strong"})
    findings = ma.fields.List(ma.fields.Nested(FindingSchema), required=True)
    enterprises = ma.fields.Integer(required=True)
    revenue = _number("last year's revenue")
    tax = _number("last year's tax")
    employees = _count("last year's employees")
    growth = _number("like-for-like revenue growth (the same enterprises, last year on the year before)")
    chain_share = _number("its share of the chain's revenue, 0-1")
    top = ma.fields.Nested(
        TopEnterpriseSchema, allow_none=True, metadata={"description": "its largest enterprise by revenue"}
    )
    target_rank = _count("its rank among the investment-attraction targets; null: a strong link")


class ChainDetailSchema(FreshnessSchema):
    chain = ma.fields.Nested(ChainSummarySchema, required=True)
    links = ma.fields.List(
        ma.fields.Nested(LinkSchema), required=True, metadata={"description": "in the chain's order"}
    )


class EnterpriseSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String()
    name_en = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True)
    industry_code = ma.fields.String(metadata={"description": "GB/T 4754-2017 class"})
    revenue = _number("last year's revenue")
    tax = _number("last year's tax")
    growth = _number("revenue growth on the year before")
    employees = _count("last year's employees")
    size = ma.fields.String(
        allow_none=True, metadata={"description": "large, medium, small or micro; null: figures missing"}
    )


class LinkDetailSchema(FreshnessSchema):
    link = ma.fields.Nested(LinkSchema, required=True)
    enterprises = ma.fields.List(
        ma.fields.Nested(EnterpriseSchema), required=True, metadata={"description": "largest revenue first"}
    )


class TargetSchema(LinkSchema):
    rank = ma.fields.Integer(required=True)
    upstream = ma.fields.List(ma.fields.String(), metadata={"description": "the links that feed it"})
    downstream = ma.fields.List(ma.fields.String(), metadata={"description": "the links it feeds"})
    near_enterprises = ma.fields.Integer(metadata={"description": "enterprises in those links"})
    near_revenue = _number("their revenue")
    market = _number("what it is ranked on: the neighbours' revenue, or the chain's average link")
    score = _number("market times the weight of its gravest finding")


class TargetsSchema(FreshnessSchema):
    targets = ma.fields.List(ma.fields.Nested(TargetSchema), required=True)
