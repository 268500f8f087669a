"""The audit page's logic without Dash: filter values from the browser checked and turned into
a security.audit.AuditFilter (park-local days become UTC bounds), entries as grid rows, and
the CSV export (UTF-8 with a BOM, so that Excel reads the Chinese text)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from components.timefmt import format_time
from locales import t
from security.audit import ACTIONS, OUTCOMES, AuditFilter

MAX_TEXT = {"actor": 100, "target": 200}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(T00:00(:00(\.0+)?)?)?$")
# a CSV cell starting with one of these is a formula to a spreadsheet: login failures record
# whatever a visitor typed as the username, so such cells are quoted (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


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


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a park-local day begins."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def parse_filter(
    actions: object,
    outcome: object,
    actor: object,
    target: object,
    start: object,
    end: object,
    zone: ZoneInfo,
) -> tuple[AuditFilter, dict[str, Any]]:
    """The filter, and a summary of it for the export's audit row. Raises FilterError for a
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
    filters = AuditFilter(
        actions=tuple(dict.fromkeys(actions)),
        outcome=outcome,
        actor=actor_text,
        target=target_text,
        since=_start_of(first, zone) if first else None,
        until=_start_of(last + timedelta(days=1), zone) if last else None,
    )
    summary = {
        "actions": list(filters.actions),
        "outcome": outcome,
        "actor": actor_text,
        "target": target_text,
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
    }
    return filters, {k: v for k, v in summary.items() if v}


def action_label(action: str, lang: str) -> str:
    return t(f"audit.action.{action}", lang) if action in ACTIONS else action


def outcome_label(outcome: str, lang: str) -> str:
    return t(f"audit.outcome.{outcome}", lang) if outcome in OUTCOMES else outcome


def compact(detail: object) -> str:
    if not isinstance(detail, dict) or not detail:
        return ""
    return json.dumps(detail, ensure_ascii=False, separators=(",", ":"), default=str)


def _when(value: object) -> datetime | None:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    return value if isinstance(value, datetime) else None


def grid_rows(entries: pd.DataFrame, lang: str, zone: ZoneInfo) -> list[dict[str, Any]]:
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
                "detail": compact(entry.detail),
            }
        )
    return rows


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(entries: pd.DataFrame, lang: str, zone: ZoneInfo) -> str:
    """The entries as CSV text beginning with a BOM: park-local times with their offset, the
    action and outcome both as codes and in words."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = (
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
    writer.writerow([t(f"audit.csv.{c}", lang) for c in columns])
    for entry in entries.itertuples(index=False):
        when = _when(entry.at)
        writer.writerow(
            [
                when.astimezone(zone).isoformat(timespec="seconds") if when else "",
                _cell(entry.actor),
                entry.action,
                action_label(entry.action, lang),
                entry.outcome,
                outcome_label(entry.outcome, lang),
                _cell(entry.target),
                _cell(entry.ip),
                _cell(compact(entry.detail)),
            ]
        )
    return BOM + out.getvalue()
