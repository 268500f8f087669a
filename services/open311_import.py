"""`flask --app app cases import-open311 FILE_OR_URL`, and the polling source: service requests
of an Open311 GeoReport v2 server (JSON or XML) into the store through the one import service
(services/case_import.py), parsed by the Open311 adapter (data_sources/adapters/open311.py).

Which case type each service code is, the channel and the server's own statuses come from a
mapping in YAML (config/imports/open311.yaml is an example). Requests the parser cannot read (a
malformed time, one coordinate without the other, an unknown status or service code) are
rejected with their position ("request 3") and reason beside those the import rejects; times
without an offset are read in the mapping's `timezone`, or the park's when it has none, and the
result says how many were."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator

from data_sources.adapters.csv_file import ZoneName
from data_sources.adapters.open311 import NEWEST_CHANGE, ZONELESS_TIMES, Open311Source
from data_sources.case_mapping import load_mapping
from data_sources.errors import SourceMisconfigured
from data_sources.monitor import PARSE_REJECTIONS
from data_sources.validation import Rejection
from services.case_import import ImportReport, RowRejection, import_cases, load_checkpoint, save_checkpoint
from services.context import get_services


class Open311Mapping(BaseModel):
    """A GeoReport server's vocabulary in ours (README, "Importing cases")."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    service_types: dict[str, str]  # service_code → case type of config/case_types.yaml
    default_case_type: str | None = None  # for codes not listed; without it they are rejected
    channel: str = "portal"
    statuses: dict[str, str] = {}  # the server's statuses besides open and closed → ours
    timezone: ZoneName = None  # of times sent without an offset; default the park's

    @field_validator("service_types", "statuses", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        # service codes are often numbers, which YAML reads as such; the server's are text
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


@dataclass
class Open311ImportResult:
    """One run: its counts and rejections (in the document's order), how many times had no
    offset and the zone they were read in."""

    report: ImportReport
    zoneless: int
    zone: str


def load_open311_mapping(path: Path) -> Open311Mapping:
    """The mapping at `path`; MappingError (a SourceMisconfigured) names the file and the key."""
    return load_mapping(path, Open311Mapping)


def source_name(origin: str) -> str:
    """How a run's events and audit row name its origin: the file's name or the URL's address."""
    if origin.lower().startswith(("http://", "https://")):
        parts = urlsplit(origin)
        return f"open311:{parts.netloc}{parts.path}"
    return f"open311:{Path(origin).name}"


def open311_source(name: str, origin: str, mapping: Open311Mapping, **options: Any) -> Open311Source:
    """The adapter reading `origin` (a file or an http(s) URL) through `mapping`."""
    where = "url" if origin.lower().startswith(("http://", "https://")) else "path"
    return Open311Source(
        name,
        {
            where: origin,
            "service_types": mapping.service_types,
            "default_case_type": mapping.default_case_type,
            "strict": mapping.default_case_type is None,
            "channel": mapping.channel,
            "domain": None,  # each case type's own, from the catalogue
            "statuses": mapping.statuses,
            "timezone": mapping.timezone or get_services().settings.timezone,
            **options,
        },
    )


def import_requests(source: Open311Source, *, actor: str | None = None) -> Open311ImportResult:
    """Read `source` and import its requests. Runs in an app context; blocks while it reads.
    Raises SourceUnavailable / SourceMisconfigured when nothing could be read, before importing
    anything."""
    return _import_frame(source, source.fetch("cases"), actor)


def poll_open311(name: str, *, actor: str | None = None) -> Open311ImportResult | None:
    """Import what changed at source `name` (an open311 source of config/sources.yaml, read
    through its own options) since the last poll: it asks the server for requests changed since
    the newest change the last poll saw (the checkpoint `open311:NAME`, when the source has a
    since_parameter; else for all of them, and what did not change is left as it is), imports
    them and keeps the source's health (Sources page). None when the server could not be read:
    the health says why and the checkpoint stays. Runs in an app context; blocks while it reads.
    Raises SourceMisconfigured when `name` is not an open311 source."""
    monitor = get_services().sources.monitors.get(name)
    if monitor is None or not isinstance(monitor.source, Open311Source):
        raise SourceMisconfigured(f"{name!r} is not an open311 source of the configuration")
    key = checkpoint_key(name)
    saved = load_checkpoint(key)
    since = datetime.fromisoformat(saved) if saved else None
    frame = monitor.fetch_unchecked("cases", since)
    if frame is None:
        return None
    result = _import_frame(monitor.source, frame, actor)
    report = result.report
    rejections = [_as_rejection(name, r) for r in report.rejections]
    newest = pd.to_datetime(frame.get("reported_at"), utc=True, errors="coerce", format="ISO8601").max()
    monitor.record_import(
        "cases", report.imported + report.updated, rejections, None if pd.isna(newest) else newest
    )
    changed = frame.attrs.get(NEWEST_CHANGE)
    if changed is not None and (since is None or changed > since):
        save_checkpoint(key, changed.isoformat())
    return result


def checkpoint_key(name: str) -> str:
    return f"open311:{name}"


def _import_frame(source: Open311Source, frame: pd.DataFrame, actor: str | None) -> Open311ImportResult:
    positions = [f"request {i + 1}" for i in frame.index]
    unread = [
        RowRejection(f"request {r.row + 1}", r.key, f"{r.field}: {r.reason} (value {r.value})")
        for r in frame.attrs.get(PARSE_REJECTIONS, [])
    ]
    report = import_cases(frame, source=source.name, positions=positions, actor=actor, unread=unread)
    report.rejections.sort(key=_number)
    zone = source.options.timezone or get_services().settings.timezone
    return Open311ImportResult(report, int(frame.attrs.get(ZONELESS_TIMES, 0)), zone)


def import_open311(origin: str, mapping: Open311Mapping, *, actor: str | None = None) -> Open311ImportResult:
    """Import the requests of the GeoReport v2 document at `origin` (a file or a URL)."""
    source = open311_source(source_name(origin), origin, mapping)
    try:
        return import_requests(source, actor=actor)
    finally:
        source.close()


def _as_rejection(source: str, rejection: RowRejection) -> Rejection:
    """A rejection as the Sources page lists them: the request's position from 0, the field
    the first reason names."""
    field, _, why = rejection.reason.partition(": ")
    return Rejection(source, "cases", _number(rejection) - 1, rejection.case_id, field, "", why or field)


def _number(rejection: RowRejection) -> int:
    found = re.search(r"\d+", rejection.position)
    return int(found.group()) if found else 0
