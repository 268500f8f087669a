"""The audit page's logic without Dash: filter values from the browser checked and turned into
a security.audit.AuditFilter (by services.audit_log, as the API's are: park-local days become
UTC bounds), entries as grid rows, and the CSV export (services.export's writer, the API's)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from components.admin_common import yes_no
from components.timefmt import format_time
from locales import catalogue, normalise, t
from security.audit import ACTIONS, OUTCOMES, AuditFilter
from services import audit_log
from services.export import csv_text

MAX_TEXT = {"actor": 100, "target": 200}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(T00:00(:00(\.0+)?)?)?$")
CSV_COLUMNS = (
    "time",
    "actor",
    "action",
    "action_label",
    "outcome",
    "outcome_label",
    "target",
    "ip",
    "detail",
)


class FilterError(ValueError):
    """A filter value the page cannot use; `message(lang)` says which, in words."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def message(self, lang: str) -> str:
        values = {k: t(v, lang) if k == "field" else v for k, v in self.values.items()}
        return t(self.key, lang, **values)


def _bad(field: str) -> FilterError:
    return FilterError("audit.bad_filter", field=f"audit.filter.{field}")


def _text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT[field]:
        raise _bad(field)
    return value.strip() or None


def _day(value: object) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not DAY.match(value):
        raise _bad("dates")
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise _bad("dates") from None
    if not 1970 <= day.year <= 9000:
        raise _bad("dates")
    return day


def parse_filter(
    actions: object,
    outcome: object,
    actor: object,
    target: object,
    start: object,
    end: object,
    zone: ZoneInfo,
) -> AuditFilter:
    """The filter (the days from `start` to `end`, both included). Raises FilterError for a
    value the page's own controls cannot send (a tampered request)."""
    if actions is None:
        actions = []
    if not isinstance(actions, list) or not all(isinstance(a, str) and a in ACTIONS for a in actions):
        raise _bad("action")
    if outcome in (None, ""):
        outcome = None
    elif not isinstance(outcome, str) or outcome not in OUTCOMES:
        raise _bad("outcome")
    actor_text, target_text = _text(actor, "actor"), _text(target, "target")
    first, last = _day(start), _day(end)
    if first and last and first > last:
        raise FilterError("audit.bad_range")
    return audit_log.build_filter(
        zone=zone,
        actions=actions,
        outcome=outcome,
        actor=actor_text,
        target=target_text,
        since=first,
        until=last + timedelta(days=1) if last else None,  # the end day is included
    )


def action_label(action: str, lang: str) -> str:
    return t(f"audit.action.{action}", lang) if action in ACTIONS else action


def outcome_label(outcome: str, lang: str) -> str:
    return t(f"audit.outcome.{outcome}", lang) if outcome in OUTCOMES else outcome


def compact(detail: object) -> str:
    """The detail as JSON, as the CSV export writes it (machines read the export)."""
    if not isinstance(detail, dict) or not detail:
        return ""
    return json.dumps(detail, ensure_ascii=False, separators=(",", ":"), default=str)


# What a detail's values name, for the keys the app writes (security.audit.record's callers):
# the catalogue prefixes tried in order for each (a value without a label shows as it is).
VALUE_WORDS: dict[str, tuple[str, ...]] = {
    "roles": ("role.",),
    "role": ("role.",),
    "from": ("case.status.",),
    "to": ("case.status.",),
    "status": ("case.status.", "status."),  # a case export's filter; a source check's health
    "action": ("case.action.",),
    "actions": ("audit.action.",),
    "outcome": ("audit.outcome.",),
    "reason": ("audit.reason.", "cases.step.reason."),  # sign-in and token refusals; a rejected case
    "channel": ("channel.",),
    "domain": ("domain.",),
}
DEPARTMENT_KEYS = frozenset({"department", "departments", "own", "requested"})
TIME_KEYS = frozenset({"since", "until", "locked_until"})  # ISO 8601 instants, shown park-local
SEPARATOR = " · "
NOTHING = "—"


def _word(key: str, lang: str) -> str | None:
    return catalogue(normalise(lang)).get(key)


def _label(key: str, lang: str) -> str:
    return _word(f"audit.detail.{key}", lang) or key


def _scalar(
    key: str, value: object, lang: str, zone: ZoneInfo | None, department: Callable[[str], str] | None
) -> str:
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return yes_no(value, lang)
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, str):
        return (
            json.dumps(value, ensure_ascii=False, default=str)
            if isinstance(value, dict | list)
            else str(value)
        )
    if key in DEPARTMENT_KEYS and department is not None:
        return department(value)
    if key in TIME_KEYS and zone is not None:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_time(when, zone) if when.tzinfo else value
    for prefix in VALUE_WORDS.get(key, ()):
        word = _word(prefix + value.replace(" ", "_"), lang)
        if word:
            return word
    return value


def _value(
    key: str, value: object, lang: str, zone: ZoneInfo | None, department: Callable[[str], str] | None
) -> str:
    if isinstance(value, list | tuple):
        items = [_scalar(key, item, lang, zone, department) for item in value]
        return ", ".join(items) if items else NOTHING
    if key == "roles" and isinstance(value, str) and "," in value:  # stored as "duty_officer,viewer"
        return ", ".join(_scalar(key, role.strip(), lang, zone, department) for role in value.split(","))
    return _scalar(key, value, lang, zone, department)


def _pairs(
    detail: dict, lang: str, zone: ZoneInfo | None, department: Callable[[str], str] | None, prefix: str = ""
) -> list[str]:
    pairs = []
    for raw_key, value in detail.items():
        key = str(raw_key)
        label = prefix + _label(key, lang)
        if isinstance(value, dict) and value:
            pairs.extend(_pairs(value, lang, zone, department, prefix=f"{label}."))
        else:
            pairs.append(f"{label}: {_value(key, value, lang, zone, department)}")
    return pairs


def readable(
    detail: object,
    lang: str,
    zone: ZoneInfo | None = None,
    department: Callable[[str], str] | None = None,
) -> str:
    """The detail as the grid shows it: "Label: value" pairs joined by " · ", in `lang`. Known
    keys get their label (audit.detail.*) and their values the catalogue's words (roles, case
    statuses and steps, actions, outcomes, reasons, channels, domains), `department` names a
    department id, instants are park-local (`zone`), booleans yes or no, lists joined with
    commas; an unknown key shows as itself, a nested dict as "key.sub: value". Plain text:
    the grid draws it as text (a value's markup stays visible, never rendered)."""
    if not isinstance(detail, dict) or not detail:
        return ""
    return SEPARATOR.join(_pairs(detail, lang, zone, department))


def _when(value: object) -> datetime | None:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    return value if isinstance(value, datetime) else None


def grid_rows(
    entries: pd.DataFrame, lang: str, zone: ZoneInfo, department: Callable[[str], str] | None = None
) -> list[dict[str, Any]]:
    """The entries as the grid's rows, in `lang` (the detail readable(); `department` names a
    department id)."""
    rows = []
    for entry in entries.itertuples(index=False):
        rows.append(
            {
                "time": format_time(_when(entry.at), zone),
                "actor": entry.actor,
                "action": action_label(entry.action, lang),
                "outcome": outcome_label(entry.outcome, lang),
                "outcome_code": entry.outcome,
                "target": entry.target or "",
                "ip": entry.ip or "",
                "detail": readable(entry.detail, lang, zone, department),
            }
        )
    return rows


def csv_export(entries: pd.DataFrame, lang: str, zone: ZoneInfo) -> str:
    """The entries as CSV text (services.export.csv_text): park-local times with their offset,
    the action and outcome both as codes and in words, headings in `lang`, the detail as JSON
    (compact(): for machines, unlike the grid's words)."""
    frame = pd.DataFrame(
        {
            "time": entries["at"],
            "actor": entries["actor"],
            "action": entries["action"],
            "action_label": entries["action"].map(lambda a: action_label(a, lang)),
            "outcome": entries["outcome"],
            "outcome_label": entries["outcome"].map(lambda o: outcome_label(o, lang)),
            "target": entries["target"],
            "ip": entries["ip"],
            "detail": entries["detail"].map(compact),
        },
        columns=list(CSV_COLUMNS),
    )
    frame.columns = [t(f"audit.csv.{c}", lang) for c in CSV_COLUMNS]
    return csv_text(frame, zone)
