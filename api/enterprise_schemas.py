"""The enterprise endpoints' schemas (api/enterprises.py): the list's query and the bodies, in the
one OpenAPI document. Figures are JSON numbers or null (a firm without last year's figures has
no revenue and no size class); revenue and tax are in 10,000 yuan (万元), shares and growth 0-1."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.base import Query
from services.enterprises import MAX_LIMIT, MAX_TEXT

DEFAULT_LIMIT = 50


def _number(description: str) -> ma.fields.Float:
    return ma.fields.Float(allow_none=True, metadata={"description": description})


def _whole(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(allow_none=True, metadata={"description": description})


def _text(description: str = "") -> ma.fields.String:
    return ma.fields.String(allow_none=True, metadata={"description": description} if description else {})


class EnterprisesQuery(Query):
    q = ma.fields.String(
        validate=validate.Length(1, MAX_TEXT),
        metadata={
            "description": "part of a name (Chinese or English, any case), or a unified social credit "
            "code whole or its first 6 or more characters; 18 letters and digits that are no valid "
            "code are refused (400) with the reason"
        },
    )
    chain = ma.fields.String(
        validate=validate.Length(1, 64),
        metadata={"description": "only this chain's enterprises (an id from /chains)"},
    )
    link = ma.fields.String(
        validate=validate.Length(1, 64), metadata={"description": "only this link's enterprises"}
    )
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"at most this many (1-{MAX_LIMIT}, default {DEFAULT_LIMIT})"},
    )
    offset = ma.fields.Integer(
        load_default=0, validate=validate.Range(0, 1_000_000), metadata={"description": "skip this many"}
    )


class EnterpriseFactsSchema(ma.Schema):
    """One enterprise's facts (domain/enterprise_facts.py) for the figures' year."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = _text()
    credit_code = _text("统一社会信用代码 (GB 32100-2015)")
    industry_code = ma.fields.String(required=True, metadata={"description": "GB/T 4754-2017 class"})
    industry_name = _text("the class's name in GB/T 4754-2017 (Chinese: the standard's own)")
    chain = _text()
    chain_name = _text()
    chain_name_en = _text()
    chain_link = _text()
    link_name = _text()
    link_name_en = _text()
    stage = _text("upstream, midstream or downstream")
    lon = _number("WGS-84 longitude")
    lat = _number("WGS-84 latitude")
    founded_on = ma.fields.Date(allow_none=True)
    age_years = _number("years since founding")
    year = ma.fields.Integer(allow_none=True, metadata={"description": "the year of the figures"})
    revenue = _number("that year's revenue")
    tax = _number("that year's tax")
    employees = _whole("that year's employees")
    rd_spending = _number("that year's R&D spending")
    patents = _whole("patents granted that year")
    revenue_previous = _number("the year before's revenue")
    revenue_growth = _number("revenue growth on the year before")
    rd_share = _number("R&D spending / revenue")
    patents_total = _whole("patents granted over every year")
    size = _text(
        "large, medium, small or micro (国统字〔2017〕213号); null when a figure it needs is missing"
    )


class EnterpriseListSchema(ma.Schema):
    total = ma.fields.Integer(required=True, metadata={"description": "how many match in all"})
    limit = ma.fields.Integer(required=True)
    offset = ma.fields.Integer(required=True)
    year = ma.fields.Integer(allow_none=True)
    computed_at = ma.fields.DateTime(required=True)
    stale = ma.fields.List(ma.fields.String(), required=True)
    revenue_unit = ma.fields.String(required=True)
    enterprises = ma.fields.List(ma.fields.Nested(EnterpriseFactsSchema), required=True)


class YearSchema(ma.Schema):
    year = ma.fields.Integer(required=True)
    revenue = _number("")
    tax = _number("")
    employees = _whole("")
    rd_spending = _number("")
    patents = _whole("")
    revenue_growth = _number("on the year before")
    rd_share = _number("R&D spending / revenue")


class ComparisonSchema(ma.Schema):
    measure = ma.fields.String(
        required=True,
        metadata={"description": "revenue, revenue_growth, rd_share, employees, patents or tax"},
    )
    value = _number("the enterprise's figure")
    median = _number("the median of the link's enterprises that have the figure")
    count = ma.fields.Integer(
        required=True, metadata={"description": "how many enterprises the median is of"}
    )
    position = _text("above, below or at the median; null when either is missing")


class ProfileSchema(ma.Schema):
    enterprise = ma.fields.Nested(EnterpriseFactsSchema, required=True)
    history = ma.fields.List(
        ma.fields.Nested(YearSchema), required=True, metadata={"description": "oldest first"}
    )
    comparisons = ma.fields.List(
        ma.fields.Nested(ComparisonSchema), required=True, metadata={"description": "empty when in no link"}
    )
    year = ma.fields.Integer(allow_none=True)
    computed_at = ma.fields.DateTime(required=True)
    stale = ma.fields.List(ma.fields.String(), required=True)
    sources = ma.fields.List(ma.fields.String(), required=True)
    revenue_unit = ma.fields.String(required=True)
