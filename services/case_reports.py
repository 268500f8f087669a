"""Service requests that citizen apps report (POST /open311/v2/requests, GeoReport v2): checked,
then filed as a new case in the `reported` state on the snap-and-report channel, with its first
case event and its audit row in one transaction.

What a report may say, and what becomes of it:
  service_code        one of the case-type catalogue's ids (GET services.json lists them)
  lat, long           WGS 84 degrees, both or neither, inside the park's boundary; the grid
                      cell is the unit cell holding the point
  address_string      free text, at most the cases contract's 200 characters
  address_id          a house number of the park's address layer (its place and grid cell)
                      One of the three places is needed.
  description         at most the cases contract's 2,000 characters, kept exactly as written:
                      markup stays text (every reader escapes it), control characters refused
  media_url           an http(s) address of the photo, kept in the report's event
  attribute[…]        none of our services declares attributes (metadata false): refused
  device_id,          used only, hashed with the app's secret, to recognise a retry; never
  account_id          stored
  first_name, last_name, email, phone
                      never read: OneScreen keeps no citizen's personal data (the reporting
                      app keeps its own)

A retry files nothing new: the same Idempotency-Key from the same token within KEY_WINDOW, or
the same report (same token, device_id/account_id, service, place and description) within
SAME_REPORT_WINDOW, answers the case the first one filed. Reports are numbered and looked up
under one lock (store.case_rows.lock_new_cases), so two copies sent at once file one case.

Raises ReportRefused (every problem, each naming its field) or KeyReused; nothing is written."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.sql import ColumnElement

from data_sources.contracts import CASES as CASES_CONTRACT
from domain.case_clock import case_deadline
from domain.case_lifecycle import Status
from domain.places import contains, first_containing
from security import audit
from security.principal import Principal
from services.case_types import home_of, limits_of
from services.context import get_services
from services.data import snapshot
from store import case_rows
from store.engine import begin_write

CHANNEL = "snap_report"  # 随手拍: the channel of citizens' apps (demo/catalogue.py CHANNELS)
DESCRIPTION_MAX = CASES_CONTRACT.field("description").max_length or 2000
ADDRESS_MAX = CASES_CONTRACT.field("address").max_length or 200
MEDIA_URL_MAX = 500
IDENTIFIER_MAX = 200  # device_id, account_id, Idempotency-Key
SAME_REPORT_WINDOW = timedelta(minutes=1)
KEY_WINDOW = timedelta(hours=24)
# Tab, line feed and carriage return are text; every other control character is refused.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ATTRIBUTE = re.compile(r"attribute\[(.{0,64})\]$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ReportRefused(ValueError):
    """The report cannot be filed; `problems` names each field and what is wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class KeyReused(ValueError):
    """The Idempotency-Key was used by this token for a different report."""


@dataclass(frozen=True)
class Report:
    service_code: str
    lon: float | None
    lat: float | None
    address: str | None
    address_en: str | None
    grid_cell: str | None
    description: str | None
    media_url: str | None
    submitter: str  # device_id and account_id, only ever hashed


@dataclass(frozen=True)
class Filed:
    case_id: str
    created: bool  # False: a retry, answered with the case its first copy filed


@dataclass(frozen=True)
class _Places:
    fetched_at: datetime | None
    boundary: list[dict[str, Any]]
    cells: list[tuple[str, dict[str, Any]]]
    house_numbers: dict[str, dict[str, Any]]


_lock = threading.Lock()
_places: dict[int, _Places] = {}  # per snapshot cache (one per app), by its id


def _park_places() -> _Places:
    """The park's boundary, unit cells and house numbers from the features contract, indexed
    once per snapshot (a small contract, DESIGN.md)."""
    snap = snapshot("features")
    key = id(get_services().snapshots)
    with _lock:
        places = _places.get(key)
        if places is None or places.fetched_at != snap.fetched_at:
            frame = snap.frame
            layer = frame["layer"]
            houses = frame[layer == "house_number"]
            places = _Places(
                snap.fetched_at,
                list(frame.loc[layer == "boundary", "geometry"]),
                list(
                    zip(
                        frame.loc[layer == "grid_unit", "id"],
                        frame.loc[layer == "grid_unit", "geometry"],
                        strict=True,
                    )
                ),  # fmt: skip
                {
                    str(fid): {"geometry": geometry, **(properties or {})}
                    for fid, geometry, properties in zip(
                        houses["id"], houses["geometry"], houses["properties"], strict=True
                    )
                },
            )
            _places[key] = places
    return places


def _text(values: Mapping[str, Any], name: str, limit: int, problems: list[Problem]) -> str | None:
    value = values.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        problems.append(Problem(name, "text expected"))
        return None
    value = value.strip()
    if len(value) > limit:
        problems.append(Problem(name, f"{len(value)} characters; at most {limit}"))
    elif _CONTROL.search(value):
        problems.append(Problem(name, "control characters are not allowed"))
    return value


def _degrees(values: Mapping[str, Any], name: str, limit: float, problems: list[Problem]) -> float | None:
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        problems.append(
            Problem(name, f"{str(raw)[:32]!r} is not a number of degrees from -{limit:g} to {limit:g}")
        )
        return None
    return value


def parse_report(values: Mapping[str, Any]) -> Report:
    """A Report from a request's fields (a form's strings or a JSON object's values). Raises
    ReportRefused listing every problem found."""
    problems: list[Problem] = []
    code = values.get("service_code")
    code = code.strip() if isinstance(code, str) else ""
    if not code:
        problems.append(Problem("service_code", "required: one of the codes GET services.json lists"))
    elif home_of(code) is None:
        unknown = f"unknown service {code[:64]!r}; GET services.json lists the codes"
        problems.append(Problem("service_code", unknown))
    for name in values:
        found = _ATTRIBUTE.match(name) if isinstance(name, str) else None
        if found or name == "attribute":
            label = name if found else "attribute"
            problems.append(Problem(label, f"service {code[:64]!r} has no attributes (metadata is false)"))
    lat = _degrees(values, "lat", 90, problems)
    lon = _degrees(values, "long", 180, problems)
    if (lat is None) != (lon is None) and not any(p.field in ("lat", "long") for p in problems):
        missing = "long" if lon is None else "lat"
        problems.append(Problem(missing, "lat and long go together: give both or neither"))
    address = _text(values, "address_string", ADDRESS_MAX, problems)
    address_id = _text(values, "address_id", 64, problems)
    description = _text(values, "description", DESCRIPTION_MAX, problems)
    media_url = _text(values, "media_url", MEDIA_URL_MAX, problems)
    if media_url and (urlsplit(media_url).scheme not in ("http", "https") or not urlsplit(media_url).netloc):
        problems.append(Problem("media_url", "an http or https address is needed"))
    submitter = "\x00".join(
        _text(values, n, IDENTIFIER_MAX, problems) or "" for n in ("device_id", "account_id")
    )
    places = _park_places()
    address_en = grid_cell = None
    given_point = lat is not None and lon is not None
    if given_point:
        assert lat is not None and lon is not None
        if places.boundary and not any(contains(g, lon, lat) for g in places.boundary):
            problems.append(Problem("lat", f"({lat:.6f}, {lon:.6f}) is outside the park"))
        else:
            grid_cell = first_containing(places.cells, lon, lat)
    if address_id:
        house = places.house_numbers.get(address_id)
        if house is None:
            problems.append(
                Problem("address_id", f"no address {address_id[:64]!r} in the park's address layer")
            )
        else:
            if not given_point and house["geometry"].get("type") == "Point":  # the citizen's own point wins
                lon, lat = (float(c) for c in house["geometry"]["coordinates"][:2])
                grid_cell = house.get("grid_cell")
            if address is None:
                address, address_en = house.get("name"), house.get("name_en")
    if lat is None and lon is None and not address and not address_id and not problems:
        problems.append(Problem("lat", "a place is needed: lat and long, address_string or address_id"))
    if problems:
        raise ReportRefused(problems)
    return Report(code, lon, lat, address, address_en, grid_cell, description, media_url, submitter)


def _fingerprint(principal: Principal, *parts: object) -> str:
    """A keyed hash (the app's secret): a device or account id cannot be recovered from it."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    text = "\x1f".join(str(p) for p in (principal.token_pk or principal.name, *parts))
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _earlier(connection: Any, actor: str, same: str, key: str | None, now: datetime) -> str | None:
    """The case an earlier copy of this report filed, if any (see the module's docstring)."""
    cases, events = case_rows.CASES, case_rows.EVENTS
    since = now - (KEY_WINDOW if key else SAME_REPORT_WINDOW)
    rows = connection.execute(
        select(events.c.case_id, events.c.at, events.c.detail)
        .join(cases, cases.c.id == events.c.case_id)
        .where(cases.c.channel == CHANNEL, cases.c.reported_at >= since)
        .where(events.c.action == "reported", events.c.actor == actor[:64])
        .order_by(events.c.at)
    )
    for case_id, at, detail in rows:
        detail = detail if isinstance(detail, dict) else {}
        if key and detail.get("key") == key:
            if detail.get("same") != same:
                raise KeyReused("Idempotency-Key: already used by this token for a different report")
            return str(case_id)
        if detail.get("same") == same and at >= now - SAME_REPORT_WINDOW:
            return str(case_id)
    return None


def file_report(
    report: Report,
    principal: Principal,
    *,
    key: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> Filed:
    """File `report` for `principal` (a citizen app's token) as a new case, or find the case an
    earlier copy filed. One transaction: the case, its `reported` event and its audit row.
    Raises KeyReused for an Idempotency-Key this token used for another report."""
    services = get_services()
    now = now or datetime.now(UTC)
    home = home_of(report.service_code)
    limits = limits_of(report.service_code)
    assert home is not None and limits is not None  # parse_report refused an unknown code
    same = _fingerprint(principal, report.submitter, report.service_code, report.lat, report.lon,
                        report.address, report.description)  # fmt: skip
    key_print = _fingerprint(principal, "key", key) if key else None
    actor = principal.name
    with begin_write(services.engine) as connection:
        case_rows.lock_new_cases(connection)
        earlier = _earlier(connection, actor, same, key_print, now)
        if earlier is not None:
            return Filed(earlier, created=False)
        case_id = case_rows.next_case_id(connection, now, services.settings.zone)
        domain, department = home
        case_rows.insert_case(connection, {
            "id": case_id, "channel": CHANNEL, "domain": domain, "case_type": report.service_code,
            "grid_cell": report.grid_cell, "department": department, "status": Status.REPORTED.value,
            "reported_at": now, "status_at": now, "sla_deadline": case_deadline(now, limits),
            "lon": report.lon, "lat": report.lat, "address": report.address, "address_en": report.address_en,
            "description": report.description, "version": 1, "reopen_count": 0,
        })  # fmt: skip
        detail = {"via": "open311", "same": same, "key": key_print}
        if report.media_url:
            detail["media_url"] = report.media_url
        case_rows.append_event(connection, case_id=case_id, action="reported", actor=actor, at=now, note=None,
                               from_status=None, to_status=Status.REPORTED.value, detail=detail)  # fmt: skip
        audit.record(
            connection,
            "case.change",
            actor=actor,
            target=f"case:{case_id}",
            detail={
                "action": "report",
                "to": Status.REPORTED.value,
                "channel": CHANNEL,
                "case_type": report.service_code,
                "via": "open311",
                "version": 1,
            },  # fmt: skip
            ip=ip,
            at=now,
        )
    services.snapshots.expire("cases")
    services.snapshots.expire("case_events")
    return Filed(case_id, created=True)


def reported_by(actor: str) -> ColumnElement[bool]:
    """The condition, on the cases table, "filed by `actor`" (a citizen app's token's name): what
    a reporter may read back, to follow its reports' status."""
    cases, events = case_rows.CASES, case_rows.EVENTS
    filed = exists().where(
        events.c.case_id == cases.c.id, events.c.action == "reported", events.c.actor == actor[:64]
    )
    return and_(cases.c.channel == CHANNEL, filed)
