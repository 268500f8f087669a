"""Alert rules declared as data (config/alert_rules.yaml): what each kind of rule watches, its
levels and its hysteresis, and the rule book that holds them with the escalation times.

    threshold  a quantity at or above (or at or below) a level, warning and critical; the levels
               default to the sensor's own thresholds (the sensors contract)
    sustained  the same, held for `for_min` minutes before it raises
    rate       a quantity rising (or falling) faster than a rate per minute or per hour, judged
               over the last `window_min` minutes (a least-squares slope)
    offline    no reading from the sensor for `silent_min` minutes

Hysteresis, so an alert does not flap: a level rule raises at its level but clears only once
its signal is below the level less `band` (and, with `clear_after_min`, has stayed there that
long); a critical alert falls back to warning the same way. The evaluator is
domain/alert_evaluation.py.

`parse_rule_book` checks a whole file and raises RuleBookError naming every bad rule (by id and
place) and what is wrong with it, so a malformed rule stops start-up."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.alert_lifecycle import EscalationPolicy, Severity

RULE_ID = r"^[a-z][a-z0-9_]{1,63}$"


class RuleBookError(ValueError):
    """The rule book is malformed; the message names each bad rule and what is wrong."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=RULE_ID)
    sensor_kinds: tuple[str, ...] = Field(min_length=1)
    # hysteresis in time: the signal stays normal this long before the alert clears
    clear_after_min: float = Field(default=0, ge=0)

    @property
    def quantity_name(self) -> str | None:
        return getattr(self, "quantity", None)


class _LevelRule(_Rule):
    quantity: str = Field(min_length=1, max_length=32)
    warning: float | None = None
    critical: float | None = None
    # hysteresis in value: clear (or fall back from critical) only below the level less `band`
    band: float = Field(default=0, ge=0)
    # a late or stale reading raises nothing: the newest must be at most this old
    fresh_min: float = Field(default=15, gt=0)
    # a longer gap between readings breaks a run ("held for", "normal for")
    max_gap_min: float = Field(default=15, gt=0)

    @property
    def hold(self) -> timedelta:
        return timedelta(0)

    @property
    def window(self) -> timedelta:
        return timedelta(0)

    @property
    def signal_sign(self) -> float:
        """+1 when the rule watches for high values or a rise, -1 for low values or a fall:
        the evaluator multiplies by it so that higher is always worse."""
        return 1.0

    @property
    def level_sign(self) -> float:
        """The same for the rule's levels (a rate rule's levels are speeds: always +1)."""
        return self.signal_sign

    def _check_levels(self, *, need_one: bool) -> None:
        warning, critical = self.warning, self.critical
        if need_one and warning is None and critical is None:
            raise ValueError("needs a warning or a critical level")
        if warning is None or critical is None or self.level_sign * critical >= self.level_sign * warning:
            return
        side = "at or above" if self.level_sign > 0 else "at or below"
        raise ValueError(f"critical ({critical}) must be {side} warning ({warning})")


class _DirectedRule(_LevelRule):
    direction: Literal["above", "below"] = "above"

    @property
    def signal_sign(self) -> float:
        return 1.0 if self.direction == "above" else -1.0

    @model_validator(mode="after")
    def _levels_in_order(self) -> _DirectedRule:
        # the sensors' own thresholds are upper limits: a rule for low values names its levels
        self._check_levels(need_one=self.direction == "below")
        return self


class ThresholdRule(_DirectedRule):
    kind: Literal["threshold"]


class SustainedRule(_DirectedRule):
    kind: Literal["sustained"]
    for_min: float = Field(gt=0)

    @property
    def hold(self) -> timedelta:
        return timedelta(minutes=self.for_min)


class RateRule(_LevelRule):
    kind: Literal["rate"]
    direction: Literal["rising", "falling"] = "rising"
    per: Literal["minute", "hour"] = "hour"
    window_min: float = Field(gt=0)
    # the fewest readings a slope is judged on, spanning at least half the window
    min_readings: int = Field(default=3, ge=2)

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_min)

    @property
    def signal_sign(self) -> float:
        return 1.0 if self.direction == "rising" else -1.0

    @property
    def level_sign(self) -> float:
        return 1.0

    @model_validator(mode="after")
    def _levels_in_order(self) -> RateRule:
        # levels are speeds in the rule's direction, so a larger one is always the worse one
        for name in ("warning", "critical"):
            level = getattr(self, name)
            if level is not None and level <= 0:
                raise ValueError(f"{name} is a speed in the rule's direction: more than 0")
        self._check_levels(need_one=True)
        return self


class OfflineRule(_Rule):
    kind: Literal["offline"]
    silent_min: float = Field(gt=0)
    severity: Severity = Severity.WARNING

    @property
    def silent(self) -> timedelta:
        return timedelta(minutes=self.silent_min)


AlertRule = Annotated[ThresholdRule | SustainedRule | RateRule | OfflineRule, Field(discriminator="kind")]
LevelRule = ThresholdRule | SustainedRule | RateRule
AnyRule = LevelRule | OfflineRule


class EscalationMinutes(BaseModel):
    """Minutes an alert of each severity may stay unacknowledged; none: it never escalates by
    itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    critical: float | None = Field(default=5, gt=0)
    warning: float | None = Field(default=15, gt=0)
    info: float | None = Field(default=None, gt=0)


class CaseTypes(BaseModel):
    """The case type an alert becomes when an officer opens a case from it: by its rule, else
    by its sensor's kind (ids of config/case_types.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    by_rule: dict[str, str] = Field(default_factory=dict)
    by_kind: dict[str, str] = Field(default_factory=dict)


class RuleBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    escalation: EscalationMinutes = EscalationMinutes()
    cases: CaseTypes = CaseTypes()
    rules: tuple[AlertRule, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleBook:
        if not self.rules:
            raise ValueError("the book has no rules")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule {rule.id!r} is declared twice")
            seen.add(rule.id)
        return self

    def policy(self) -> EscalationPolicy:
        """The escalation times as the lifecycle's policy."""
        minutes = {Severity(name): value for name, value in self.escalation.model_dump().items()}
        return EscalationPolicy({sev: timedelta(minutes=m) for sev, m in minutes.items() if m is not None})

    def case_type(self, rule_id: str, sensor_kind: str | None) -> str | None:
        """The case type an alert of `rule_id` on a sensor of `sensor_kind` opens, or None."""
        return self.cases.by_rule.get(rule_id) or self.cases.by_kind.get(sensor_kind or "")

    def check_case_types(self, known: Collection[str]) -> None:
        """Raise RuleBookError naming each case type the book maps to that is not in `known`,
        and each rule of `cases.by_rule` the book does not declare."""
        rule_ids = {rule.id for rule in self.rules}
        problems = [f"cases.by_rule: no rule {rule!r}" for rule in self.cases.by_rule if rule not in rule_ids]
        for where, mapping in (("by_rule", self.cases.by_rule), ("by_kind", self.cases.by_kind)):
            problems += [
                f"cases.{where}.{name}: unknown case type {case_type!r}"
                for name, case_type in mapping.items()
                if case_type not in known
            ]
        if problems:
            raise RuleBookError("; ".join(problems))

    def for_kind(self, sensor_kind: str) -> tuple[AnyRule, ...]:
        """The rules that watch sensors of `sensor_kind`, in the book's order."""
        return tuple(rule for rule in self.rules if sensor_kind in rule.sensor_kinds)

    def check_targets(self, quantities: Mapping[str, Collection[str]]) -> None:
        """Raise RuleBookError naming each rule that watches a sensor kind not in `quantities`
        (kind → the quantities its sensors measure) or a quantity that kind does not measure."""
        problems = []
        for rule in self.rules:
            for kind in rule.sensor_kinds:
                if kind not in quantities:
                    problems.append(f"rule {rule.id!r}: unknown sensor kind {kind!r}")
                elif rule.quantity_name is not None and rule.quantity_name not in quantities[kind]:
                    problems.append(f"rule {rule.id!r}: {kind} sensors do not measure {rule.quantity_name!r}")
        if problems:
            raise RuleBookError("; ".join(problems))


def parse_rule_book(data: object, source: str = "alert rules") -> RuleBook:
    """The rule book from parsed YAML. Raises RuleBookError naming `source`, each bad rule (by
    its id and place) and what is wrong with it."""
    try:
        return RuleBook.model_validate(data)
    except ValidationError as exc:
        raise RuleBookError(f"{source}: {_problems(exc, data)}") from None


def _problems(exc: ValidationError, data: object) -> str:
    raw = data.get("rules") if isinstance(data, Mapping) else None
    out = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ".".join(str(p) for p in loc) or "the file"
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            index = loc[1]
            rest = loc[2:]
            entry = raw[index] if isinstance(raw, list) and index < len(raw) else None
            name = entry.get("id") if isinstance(entry, Mapping) else None
            kind = entry.get("kind") if isinstance(entry, Mapping) else None
            if rest and rest[0] == kind:  # pydantic names the union's member: the rule's own kind
                rest = rest[1:]
            field = ".".join(str(p) for p in rest)
            where = f"rule {name!r} (rules[{index}])" if name else f"rules[{index}]"
            if field:
                where += f" {field}"
        out.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(out)
