"""Why a payload or one of its records was refused: a fixed set of reasons (so rejections can be
counted by reason on the Sources page) and the problem record the decoders return."""

from __future__ import annotations

from typing import NamedTuple

# The reasons, as counted. A rejection's message adds the detail (which field, which unit...).
TOO_LARGE = "payload too large"
NOT_JSON = "not JSON"
NOT_A_PACK = "not a SenML pack"
BAD_RECORD = "malformed record"
UNSUPPORTED = "unsupported SenML version or field"
NOT_NUMERIC = "not a numeric reading"
NOT_FINITE = "not a finite number"
BAD_NAME = "name not mapped to a sensor and quantity"
UNKNOWN_SENSOR = "unknown sensor"
WRONG_UNIT = "wrong unit"
IN_FUTURE = "time in the future"
IN_PAST = "time too far in the past"
DUPLICATE = "duplicate reading"
TOO_LONG = "field too long"

REASONS = (
    TOO_LARGE,
    NOT_JSON,
    NOT_A_PACK,
    BAD_RECORD,
    UNSUPPORTED,
    NOT_NUMERIC,
    NOT_FINITE,
    BAD_NAME,
    UNKNOWN_SENSOR,
    WRONG_UNIT,
    IN_FUTURE,
    IN_PAST,
    DUPLICATE,
    TOO_LONG,
)


class Problem(NamedTuple):
    """One refused record (`position` in its payload, 0-based; 0 with field "payload" when the
    whole payload is refused). `reason` is one of REASONS; `detail` says exactly what was wrong."""

    position: int
    field: str
    value: str
    reason: str
    detail: str = ""
    name: str | None = None  # the record's full name when it was resolved that far

    @property
    def message(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason
