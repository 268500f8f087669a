"""The KPI endpoints' schemas: the query strings (built from the catalogue, so a KPI drilling
through a new field takes it as a parameter without code) and the bodies, all in the one OpenAPI
document. Only what a schema can judge alone is checked here (types, lengths, one of a list,
answered 422 like the rest of the API); what needs the catalogue or the store (a filter the KPI
does not take, a value the park does not have, an inverted or absurd range) is answered 400 by
api.kpis with services' own messages."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.base import Query
from locales import LANGUAGES
from services.kpi_periods import RANGES
from services.kpis import specs

LANG = ma.fields.String(
    validate=validate.OneOf(LANGUAGES),
    metadata={"description": "language of label, measure_label and unit_label; default: Accept-Language"},
)


def drill_fields() -> tuple[str, ...]:
    """Every field some KPI of the catalogue drills through (department is the scope's parameter)."""
    seen: dict[str, None] = {}
    for spec in specs():
        seen.update(dict.fromkeys(f for f in spec.drill if f != "department"))
    return tuple(seen)


class KpisQuery(Query):
    department = ma.fields.String(
        metadata={
            "description": "a department id; default: all the caller may read (a department head: their own)"
        }
    )
    lang = LANG


class _KpiQueryBase(KpisQuery):
    range = ma.fields.String(
        load_default="month",
        validate=validate.OneOf(RANGES),
        metadata={
            "description": "today, week, month, quarter, year (each up to now, in the park's time zone) or custom"
        },
    )
    since = ma.fields.Date(
        data_key="from", metadata={"description": "first day of a custom range (park-local, YYYY-MM-DD)"}
    )
    until = ma.fields.Date(
        data_key="to", metadata={"description": "last day of a custom range, included (YYYY-MM-DD)"}
    )
    by = ma.fields.String(
        validate=validate.Length(1, 40),
        metadata={
            "description": "the drill-down field the breakdown splits by; default: the KPI's next level"
        },
    )


def _filter(name: str) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.Length(1, 64),
        metadata={
            "description": f"drill-down filter: only rows whose {name} is this (KPIs that drill through it)"
        },
    )


# One class built at import: webargs and the OpenAPI document both read its fields.
KpiQuery = _KpiQueryBase.from_dict({name: _filter(name) for name in drill_fields()}, name="KpiQuery")


class BandsSchema(ma.Schema):
    green = ma.fields.Float(
        required=True, metadata={"description": "green from here, in the better direction"}
    )
    amber = ma.fields.Float(required=True, metadata={"description": "amber from here; red beyond"})


class KpiSchema(ma.Schema):
    """A KPI of the catalogue and its current figure (the fields up to `stale` are the 2026-11 shape)."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(metadata={"description": "label in Chinese"})
    name_en = ma.fields.String(metadata={"description": "label in English"})
    value = ma.fields.Float(allow_none=True, metadata={"description": "null: no data to compute it from"})
    format = ma.fields.String(
        metadata={"description": "integer, percent (value is a share 0-1), decimal1, hours or minutes"}
    )
    better = ma.fields.String(metadata={"description": "up or down: which way is good"})
    measure = ma.fields.String(
        metadata={"description": "count, share, mean, percentile, sum, rate or distinct"}
    )
    contract = ma.fields.String(metadata={"description": "the data it is computed from"})
    source = ma.fields.String(allow_none=True, metadata={"description": "the source serving that data"})
    fetched_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "when that source was last read successfully"}
    )
    stale = ma.fields.Boolean(
        metadata={"description": "true: the source is down, this is its last good data"}
    )
    measure_name = ma.fields.String(allow_none=True, metadata={"description": "what is measured, in Chinese"})
    measure_name_en = ma.fields.String(
        allow_none=True, metadata={"description": "what is measured, in English"}
    )
    label = ma.fields.String(metadata={"description": "the name in the language asked for"})
    measure_label = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    unit_label = ma.fields.String(metadata={"description": "the unit in the language asked for"})
    target = ma.fields.Float(allow_none=True)
    bands = ma.fields.Nested(BandsSchema, allow_none=True)
    status = ma.fields.String(
        allow_none=True, metadata={"description": "green, amber or red; null: no bands or no value"}
    )
    owner = ma.fields.String(allow_none=True, metadata={"description": "the department that answers for it"})
    group = ma.fields.String(metadata={"description": "its section: cases, alerts, sensors or economy"})
    drill = ma.fields.List(
        ma.fields.String(), metadata={"description": "the fields its drill-down goes through"}
    )
    timed = ma.fields.Boolean(
        metadata={"description": "false: a state now or a fixed window; a range does not apply"}
    )
    park_wide = ma.fields.Boolean(
        metadata={"description": "true: park-wide data, the same in every department"}
    )
    computed_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "when the figure was computed"}
    )


class KpisSchema(ma.Schema):
    department = ma.fields.String(allow_none=True, metadata={"description": "null: the whole park"})
    lang = ma.fields.String()
    kpis = ma.fields.List(ma.fields.Nested(KpiSchema), required=True)


class RangeSchema(ma.Schema):
    name = ma.fields.String(required=True)
    start = ma.fields.DateTime(required=True, metadata={"description": "included, in the park's time zone"})
    end = ma.fields.DateTime(required=True, metadata={"description": "excluded (now, for a range up to now)"})


class PointSchema(ma.Schema):
    start = ma.fields.DateTime(required=True, metadata={"description": "the bucket's start (park time)"})
    value = ma.fields.Float(allow_none=True)


class GroupSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"description": "a value of the `by` field"})
    value = ma.fields.Float(allow_none=True)
    status = ma.fields.String(allow_none=True)


class KpiDetailSchema(KpiSchema):
    department = ma.fields.String(
        allow_none=True, metadata={"description": "the scope; null: the whole park"}
    )
    lang = ma.fields.String()
    range = ma.fields.Nested(RangeSchema, metadata={"description": "the period asked for"})
    filters = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": "drill-down filters applied"},
    )
    previous = ma.fields.Float(
        allow_none=True, metadata={"description": "the period before, of the same length"}
    )
    last_year = ma.fields.Float(allow_none=True, metadata={"description": "the same period a year earlier"})
    series = ma.fields.List(
        ma.fields.Nested(PointSchema), metadata={"description": "empty when not timed or yearly"}
    )
    by = ma.fields.String(allow_none=True, metadata={"description": "null: the bottom of the drill-down"})
    breakdown = ma.fields.List(ma.fields.Nested(GroupSchema), metadata={"description": "largest first"})
