"""The data contracts adapters produce (DESIGN.md), declared as data.

Each contract is a tuple of typed fields; `data_sources.validation.validate` checks a frame
against one, keeps the rows that fit and rejects the others with a reason per row and field.
Times are timezone-aware UTC; coordinates are WGS-84 longitude/latitude.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.alert_lifecycle import Severity, State
from domain.case_lifecycle import Status

Kind = Literal["text", "int", "float", "datetime", "date", "geometry", "json"]

# the closed loop's statuses, in the order a case passes them (domain/case_lifecycle.py)
CASE_STATUSES = tuple(status.value for status in Status)
# the alert lifecycle's states and severities (domain/alert_lifecycle.py)
ALERT_STATES = tuple(state.value for state in State)
ALERT_SEVERITIES = tuple(severity.value for severity in Severity)
CHAIN_STAGES = ("upstream", "midstream", "downstream")


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a contract.

    `required` means the value may not be missing; `choices`, `minimum`, `maximum`,
    `pattern` and `max_length` constrain present values."""

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """A named, typed table shape. `key` names the fields that together identify a row, unique
    per batch as the store's unique constraint has them (a feature's id is unique within its
    layer); empty when rows have no identity of their own (readings, case events)."""

    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [k for k in self.key if k not in self.columns]
        if unknown:
            raise ValueError(f"contract {self.name!r}: key field {unknown[0]!r} is not one of its fields")

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"contract {self.name!r} has no field {name!r}")


def _lon(name: str = "lon", required: bool = False) -> Field:
    return Field(name, "float", required=required, minimum=-180.0, maximum=180.0)


def _lat(name: str = "lat", required: bool = False) -> Field:
    return Field(name, "float", required=required, minimum=-90.0, maximum=90.0)


CASES = Contract(
    "cases",
    (
        Field("id", "text", required=True, max_length=64),
        Field("channel", "text", required=True, max_length=32),
        Field("domain", "text", required=True, max_length=32),
        Field("case_type", "text", required=True, max_length=64),
        Field("grid_cell", "text", max_length=32),
        Field("department", "text", max_length=32),
        Field("status", "text", required=True, choices=CASE_STATUSES),
        Field("reported_at", "datetime", required=True),
        Field("accepted_at", "datetime"),
        Field("dispatched_at", "datetime"),
        Field("handled_at", "datetime"),
        Field("verified_at", "datetime"),
        Field("closed_at", "datetime"),
        Field("sla_deadline", "datetime"),
        _lon(),
        _lat(),
        Field("address", "text", max_length=200),
        Field("address_en", "text", max_length=200),
        Field("description", "text", max_length=2000),
        Field("satisfaction", "int", minimum=1, maximum=5),
        Field("repeat_of", "text", max_length=64),
    ),
    key=("id",),
)

CASE_EVENTS = Contract(
    "case_events",
    (
        Field("case_id", "text", required=True, max_length=64),
        Field("action", "text", required=True, max_length=32),
        Field("actor", "text", max_length=64),
        Field("at", "datetime", required=True),
        Field("note", "text", max_length=2000),
    ),
)

READINGS = Contract(
    "readings",
    (
        Field("sensor_id", "text", required=True, max_length=128),
        Field("quantity", "text", required=True, max_length=32),
        Field("unit", "text", max_length=16),
        Field("value", "float", required=True),
        Field("at", "datetime", required=True),
    ),
)

SENSORS = Contract(
    "sensors",
    (
        Field("id", "text", required=True, max_length=128),
        Field("kind", "text", required=True, max_length=32),
        Field("name", "text", max_length=100),
        Field("name_en", "text", max_length=100),
        _lon(required=True),
        _lat(required=True),
        Field("grid_cell", "text", max_length=32),
        Field("department", "text", max_length=32),  # the owner, who answers its alerts
        Field("address", "text", max_length=200),
        Field("address_en", "text", max_length=200),
        # {"pm25": {"unit": "ug/m3", "warning": 75, "critical": 150}, ...}
        Field("thresholds", "json"),
    ),
    key=("id",),
)

ALERTS = Contract(
    "alerts",
    (
        Field("id", "text", required=True, max_length=64),
        Field("rule", "text", required=True, max_length=64),
        Field("sensor_id", "text", max_length=128),
        Field("quantity", "text", max_length=32),
        Field("value", "float"),  # the worst value while raised, to show "pm25 81 ≥ 75"
        Field("threshold", "float"),
        Field("severity", "text", required=True, choices=ALERT_SEVERITIES),
        Field("state", "text", required=True, choices=ALERT_STATES),
        Field("raised_at", "datetime", required=True),
        Field("acknowledged_at", "datetime"),
        Field("assigned_at", "datetime"),
        Field("escalated_at", "datetime"),
        Field("resolved_at", "datetime"),
        Field("closed_at", "datetime"),
        Field("owner", "text", max_length=64),
        Field("case_id", "text", max_length=64),
    ),
    key=("id",),
)

FEATURES = Contract(
    "features",
    (
        Field("layer", "text", required=True, max_length=64),
        Field("id", "text", required=True, max_length=64),
        Field("geometry", "geometry", required=True),
        Field("properties", "json"),
    ),
    key=("layer", "id"),
)

ENTERPRISES = Contract(
    "enterprises",
    (
        Field("id", "text", required=True, max_length=64),
        Field("name", "text", required=True, max_length=200),
        Field("name_en", "text", max_length=200),
        # 统一社会信用代码 (GB 32100-2015); its check character is checked with the other
        # reference checks (domain/credit_code.py)
        Field("credit_code", "text", max_length=18, pattern=r"[0-9A-HJ-NPQRTUWXY]{18}"),
        Field("founded_on", "date"),
        # GB/T 4754-2017 four-digit class
        Field("industry_code", "text", required=True, pattern=r"\d{4}"),
        Field("chain_link", "text", max_length=64),
        _lon(),
        _lat(),
    ),
    key=("id",),
)

ENTERPRISE_FIGURES = Contract(
    "enterprise_figures",
    (
        Field("enterprise_id", "text", required=True, max_length=64),
        Field("year", "int", required=True, minimum=1949, maximum=2100),
        Field("revenue", "float", minimum=0),  # 10,000 yuan (万元), as Chinese statistics report it
        Field("tax", "float", minimum=0),
        Field("employees", "int", minimum=0),
        Field("rd_spending", "float", minimum=0),
        Field("patents", "int", minimum=0),
    ),
    key=("enterprise_id", "year"),
)

CHAINS = Contract(
    "chains",
    (
        Field("chain", "text", required=True, max_length=64),
        Field("chain_name", "text", max_length=100),
        Field("chain_name_en", "text", max_length=100),
        Field("link", "text", required=True, max_length=64),
        Field("stage", "text", required=True, choices=CHAIN_STAGES),
        Field("parent_link", "text", max_length=64),
        Field("name", "text", max_length=100),
        Field("name_en", "text", max_length=100),
    ),
    key=("chain", "link"),
)

CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
        CASES,
        CASE_EVENTS,
        READINGS,
        SENSORS,
        ALERTS,
        FEATURES,
        ENTERPRISES,
        ENTERPRISE_FIGURES,
        CHAINS,
    )
}
