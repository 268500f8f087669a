"""Open311Source: service requests in Open311 GeoReport v2 (JSON or XML), from a file or a URL,
read as `cases`.

GeoReport v2 fields (http://wiki.open311.org/GeoReport_v2/#get-service-requests) map as:
service_request_id → id; status open → "accepted" (the city has the request; GeoReport says
no more), closed → "closed"; requested_datetime → reported_at; expected_datetime →
sla_deadline; updated_datetime → closed_at for a closed request (its last change is its
closing; for an open one it says nothing about the loop, so it is not used); lat / long; address;
description; service_code → case_type through `service_types`. With `strict`, a request whose
service code is not mapped is rejected naming the code; without it, it gets
`default_case_type`. The same parser serves the importer (services/open311_import.py).

Real servers are not conformant; what can be read unambiguously is, the rest is rejected with
a reason: a status in any letter case ("Closed", "OPEN") or one `statuses` maps, and no other;
times with a space for the T, a basic offset (-0500) or Z, kept with their offset (the validator
converts them); a time without an offset only when `timezone` says in which zone to read it (else
rejected); a date without a time of day, or any other form, rejected; no coordinates, or 0/0 (a
server's placeholder), is a request without a place; one of lat and long without the other is
rejected; a description longer than the contract's limit is cut, not lost.

Over HTTP a connection error, a timeout or a 5xx (and 408, 429) is SourceUnavailable, any other
4xx SourceMisconfigured. A response or file larger than `max_bytes` is refused unread
(SourceMisconfigured): narrow the query or raise the cap. XML is parsed by defusedxml with DTDs,
entities and external references forbidden, whatever the document's encoding."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET
import pandas as pd
import requests
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from data_sources.adapters import read_bytes, resolve_path
from data_sources.adapters.csv_file import ZoneName
from data_sources.adapters.georeport import coordinate_of, error_text, is_zero, local_name, safe_xml, text_of
from data_sources.base import DataSource
from data_sources.contracts import CASES
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.monitor import PARSE_REJECTIONS
from data_sources.validation import Rejection, shorten

STATUSES = {"open": "accepted", "closed": "closed"}
# frame.attrs key: how many times had no offset and were read in `timezone`
ZONELESS_TIMES = "open311_zoneless_times"
# frame.attrs key: the latest updated_datetime (else requested_datetime) of any request read,
# rejected ones included, as an aware datetime: where the next poll asks from
NEWEST_CHANGE = "open311_newest_change"
_TIME_OF_DAY = re.compile(r"\d[T ]\d{2}")
_TRANSIENT_STATUS = frozenset({408, 429})
# The contract keeps descriptions to this length; a longer one is cut rather than losing the case.
_DESCRIPTION_MAX = CASES.field("description").max_length or 2000
_CHUNK_BYTES = 64 * 1024
_ERROR_BODY_MAX = 64 * 1024  # enough for any GeoReport error list; the rest is not read


class Open311Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = None  # a saved response; relative to the configuration's base_dir
    url: str | None = None  # e.g. https://311.example.gov/open311/v2/requests.json
    timeout_s: float = Field(10.0, gt=0)
    # A query without a date or status filter can return a city's whole history; past this the
    # response is refused rather than held in memory.
    max_bytes: int = Field(20 * 1024 * 1024, gt=0)
    service_types: dict[str, str] = {}  # GeoReport service_code → our case type
    default_case_type: str | None = None  # for unmapped codes; required unless strict
    strict: bool = False
    channel: str = "portal"
    # None leaves the domain to the case type (the importer takes it from the catalogue)
    domain: str | None = "urban_management"
    # a server's own statuses (any letter case) → ours, besides GeoReport's open and closed
    statuses: dict[str, str] = {}
    # the IANA zone of times sent without an offset; None rejects such times
    timezone: ZoneName = None
    # the query parameter asking for requests changed since a time (an extension to GeoReport
    # v2 several servers have, e.g. updated_after); fetch(since=…) sends it, ISO 8601
    since_parameter: str | None = None
    # import into the store every this many seconds (a thread of the app, live/case_sync.py);
    # None: the source is read, not imported
    sync_interval_s: float | None = Field(None, gt=0)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _one_origin(self) -> Open311Options:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of `path` and `url`")
        if not self.strict and self.default_case_type is None:
            raise ValueError("`default_case_type` is required unless `strict` is true")
        return self


class Open311Source(DataSource):
    """GeoReport v2 service requests as cases. Holds an HTTP session between open() and close()."""

    kind = "open311"
    contracts = frozenset({"cases"})
    Options = Open311Options
    options: Open311Options

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        self._where = f"source {name!r} (open311)"
        self._session: requests.Session | None = None
        self._zone = ZoneInfo(self.options.timezone) if self.options.timezone else None
        self._statuses = {**STATUSES, **{k.lower(): v for k, v in self.options.statuses.items()}}
        self._zoneless = 0

    def open(self) -> None:
        if self.options.url is not None and self._session is None:
            self._session = requests.Session()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """The requests as case rows indexed by their position in the response. On a URL, blocks
        for up to `timeout_s` to connect and again for each read of the body (not in total).
        Raises SourceUnavailable or SourceMisconfigured as above."""
        if contract not in self.contracts:
            raise ContractError(f"{self._where} provides 'cases', not {contract!r}")
        body = self._download(since) if self.options.url is not None else self._read_file()
        return self.frame_of(self._parse(body))

    def frame_of(self, requests_: list[Any]) -> pd.DataFrame:
        """The parsed requests as case rows indexed by their position; the rejected ones in
        `frame.attrs[PARSE_REJECTIONS]`, the count of times read in `timezone` in ZONELESS_TIMES."""
        self._zoneless = 0
        rows: list[dict[str, Any]] = []
        index: list[int] = []
        rejections: list[Rejection] = []
        for position, request in enumerate(requests_):
            row = self._row(request)
            if isinstance(row, _Problem):
                value = shorten(row.value)
                rejections.append(
                    Rejection(self.name, "cases", position, row.key, row.field, value, row.reason)
                )
            else:
                rows.append(row)
                index.append(position)
        frame = pd.DataFrame(rows, columns=_COLUMNS, index=pd.Index(index, dtype="int64"))
        frame.attrs[PARSE_REJECTIONS] = rejections
        frame.attrs[ZONELESS_TIMES] = self._zoneless
        frame.attrs[NEWEST_CHANGE] = max(filter(None, map(self._changed_at, requests_)), default=None)
        return frame

    @property
    def _origin(self) -> str:
        return self.options.url or str(self.options.path)

    def _read_file(self) -> bytes:
        path = resolve_path(self.options.path or "", self.base_dir)
        return read_bytes(path, self._where, max_bytes=self.options.max_bytes)

    def _download(self, since: datetime | None = None) -> bytes:
        self.open()
        assert self._session is not None and self.options.url is not None
        url = self.options.url
        asked = self.options.since_parameter
        query = {asked: since.isoformat()} if asked and since is not None else None
        try:
            # streamed, so that no more than max_bytes is ever read (also after gzip decoding)
            with self._session.get(
                url,
                timeout=self.options.timeout_s,
                headers={"Accept": "application/json, application/xml;q=0.9, text/xml;q=0.8"},
                stream=True,
                params=query,
            ) as response:
                return self._body(response)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SourceUnavailable(f"{self._where}: {url}: {type(exc).__name__}") from exc
        except (requests.exceptions.InvalidURL, requests.exceptions.TooManyRedirects) as exc:
            raise SourceMisconfigured(f"{self._where}: url: {exc}") from exc
        except requests.RequestException as exc:
            raise SourceUnavailable(f"{self._where}: {url}: {type(exc).__name__}: {exc}") from exc

    def _body(self, response: requests.Response) -> bytes:
        """The body of a successful response, or our exception for its status or its size."""
        url, status, cap = self.options.url, response.status_code, self.options.max_bytes
        if status >= 500 or status in _TRANSIENT_STATUS:
            raise SourceUnavailable(f"{self._where}: {url} answered {status} {response.reason}")
        if status >= 400:
            detail = error_text(_read_at_most(response, _ERROR_BODY_MAX)[:_ERROR_BODY_MAX])
            raise SourceMisconfigured(
                f"{self._where}: url: {url} answered {status} {response.reason}"
                + (f": {detail}" if detail else "")
            )
        too_big = (
            f"{self._where}: url: {url}: the response is larger than max_bytes ({cap} bytes); "
            "narrow the query (status, start_date) or raise max_bytes"
        )
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > cap:
            raise SourceMisconfigured(f"{too_big} (it announces {announced} bytes)")
        body = _read_at_most(response, cap)
        if len(body) > cap:
            raise SourceMisconfigured(too_big)
        return body

    def _parse(self, body: bytes) -> list[Any]:
        """The service requests of a GeoReport v2 document, as dicts (or whatever the JSON held)."""
        head = body.lstrip()[:1]
        if head == b"<":
            return self._parse_xml(body)
        if head in (b"[", b"{"):
            try:
                document = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SourceMisconfigured(f"{self._where}: {self._origin} is not valid JSON: {exc}") from None
            if isinstance(document, list):
                return document
            raise SourceMisconfigured(
                f"{self._where}: {self._origin}: a GeoReport v2 JSON response is an array of requests, "
                f"not {type(document).__name__}"
            )
        raise SourceMisconfigured(f"{self._where}: {self._origin} is neither GeoReport v2 JSON nor XML")

    def _parse_xml(self, body: bytes) -> list[Any]:
        # GeoReport v2 documents have no DTD; refusing one shuts out entity expansion and
        # external references from a server we only read from. The parser sees the document
        # after decoding it, so a DTD in UTF-16 is refused too.
        try:
            root = safe_xml(body)
        except DTDForbidden:
            raise SourceMisconfigured(
                f"{self._where}: {self._origin}: XML with a DOCTYPE is not read (GeoReport v2 has none)"
            ) from None
        except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
            raise SourceMisconfigured(
                f"{self._where}: {self._origin}: XML declaring entities is not read ({exc})"
            ) from None
        except SafeET.ParseError as exc:
            raise SourceMisconfigured(f"{self._where}: {self._origin} is not valid XML: {exc}") from None
        tag = local_name(root.tag)
        if tag == "errors":
            raise SourceMisconfigured(
                f"{self._where}: {self._origin} is an error response: {error_text(body)}"
            )
        if tag != "service_requests":
            raise SourceMisconfigured(
                f"{self._where}: {self._origin}: the root element is <{tag}>, not <service_requests>"
            )
        return [
            {local_name(child.tag): (child.text or "").strip() for child in request}
            for request in root
            if local_name(request.tag) == "request"
        ]

    def _row(self, request: Any) -> dict[str, Any] | _Problem:
        """One request as a case row, or why it is rejected."""
        if not isinstance(request, dict):
            return _Problem(None, "(request)", request, "a service request must be an object")
        ident = text_of(request.get("service_request_id"))
        token = text_of(request.get("token"))
        if ident is None and token is not None:
            reason = "no service_request_id yet, only a token: the server has not processed the request"
            return _Problem(None, "id", token, reason)
        code = text_of(request.get("service_code"))
        case_type: str | None
        if code is not None and code in self.options.service_types:
            case_type = self.options.service_types[code]
        elif self.options.strict:
            reason = f"service_code {code!r} is not in service_types (strict)" if code else "no service_code"
            return _Problem(ident, "case_type", code, reason)
        else:
            case_type = self.options.default_case_type
        raw_status = text_of(request.get("status"))
        status = self._statuses.get(raw_status.lower()) if raw_status else None
        if raw_status and status is None:
            known = ", ".join(sorted(self._statuses))
            return _Problem(ident, "status", raw_status, f"status is not one of {known} (any letter case)")
        times: dict[str, str | None] = {}
        # an open request's last update says nothing about the loop, so it is not read
        fields = {"reported_at": "requested_datetime", "sla_deadline": "expected_datetime"}
        fields["closed_at"] = "updated_datetime" if status == "closed" else ""
        for name, field in fields.items():
            when = self._when(request.get(field)) if field else None
            if isinstance(when, _Problem):
                return when._replace(key=ident, field=field)
            times[name] = when
        lon, lat = coordinate_of(request.get("long")), coordinate_of(request.get("lat"))
        if (lon is None) != (lat is None):
            given = "lat" if lon is None else "long"
            return _Problem(
                ident, given, lat if lon is None else lon, f"{given} without the other coordinate"
            )
        if is_zero(lon) and is_zero(lat):  # servers' placeholder for "no place"
            lon = lat = None
        description = text_of(request.get("description"))
        if description is not None and len(description) > _DESCRIPTION_MAX:
            description = description[: _DESCRIPTION_MAX - 1] + "…"
        return {
            "id": ident,
            "channel": self.options.channel,
            "domain": self.options.domain,
            "case_type": case_type,
            "status": status,
            **times,
            "lon": lon,
            "lat": lat,
            "address": text_of(request.get("address")),
            "description": description,
        }

    def _changed_at(self, request: Any) -> datetime | None:
        if not isinstance(request, dict):
            return None
        for field in ("updated_datetime", "requested_datetime"):
            when = self._when(request.get(field), count=False)
            if isinstance(when, str):
                return datetime.fromisoformat(when)
        return None

    def _when(self, value: Any, *, count: bool = True) -> str | None | _Problem:
        """A GeoReport time as ISO 8601 text with its offset, None when missing, or the problem."""
        text = text_of(value)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return _Problem(None, "", text, "not an ISO 8601 time")
        if not _TIME_OF_DAY.search(text):
            return _Problem(None, "", text, "a date without a time of day")
        if parsed.tzinfo is None:
            if self._zone is None:
                return _Problem(None, "", text, "time without a time zone")
            self._zoneless += count
            parsed = parsed.replace(tzinfo=self._zone)
        return parsed.isoformat()


class _Problem(NamedTuple):
    """Why a request is rejected: its id (if any), the field at fault, its value, the reason."""

    key: str | None
    field: str
    value: Any
    reason: str


_COLUMNS = [
    "id", "channel", "domain", "case_type", "status", "reported_at", "closed_at", "sla_deadline",
    "lon", "lat", "address", "description",
]  # fmt: skip


def _read_at_most(response: requests.Response, limit: int) -> bytes:
    """The body, stopping as soon as it holds more than `limit` bytes (so at most one chunk
    more). Raises what requests raises while reading."""
    body = bytearray()
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)
