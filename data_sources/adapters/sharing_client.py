"""The HTTP side of a government data-sharing platform (数据共享交换平台): its token, its pages and
its envelope, for the adapter in data_sources/adapters/sharing_platform.py.

A platform hands out a token for an appKey and appSecret (POST, JSON body) that lasts
`expires_in` seconds, and serves each resource in pages (a page number and a page size, or an
offset) inside an envelope such as {"code": 0, "msg": "...", "data": {"list": [...], "total": N}}.
Where the token, the rows, the total or a has-more flag sit, the header the token travels in and
the query parameters are options, since every platform names them its own way.

Failures, as our exception tree (data_sources.errors) has them:
- a connection error, a timeout, a 5xx, 408 or 429 is retried `retries` times with exponential
  back-off (urllib3's Retry, mounted on the session), then SourceUnavailable;
- an expired token (HTTP 401, or a JSON code listed in `expired_codes`) is renewed once and the
  request sent again; refused again, SourceMisconfigured (the platform does not accept our app);
- the token endpoint refusing the appKey/appSecret, or another 4xx: SourceMisconfigured;
- a JSON code that is neither ok nor expired: SourceUnavailable with the platform's message;
- a body that is not JSON, or rows that are not a list: ContractError (the page cannot be read).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import requests
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from config.settings import ENV_PREFIX
from data_sources.adapters.csv_file import ZoneName
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.validation import shorten

RETRIED_STATUSES = (408, 429, 500, 502, 503, 504)
# a token is renewed this long before the platform says it expires, so that a page is not sent
# with a token that lapses on its way
RENEW_EARLY_S = 30.0
_SHOWN_BYTES = 80  # of a body that is not JSON, in the message

Code = int | str


class SharingClientOptions(BaseModel):
    """How one platform speaks (README, "Importing from a data-sharing platform")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str  # e.g. https://dsep.example.gov.cn/gateway; paths are appended to it
    token_path: str = "/auth/token"
    app_key: str
    app_secret: str | None = None
    app_secret_env: str | None = None  # the environment variable holding the secret instead
    key_field: str = "appKey"  # the token request's JSON body names them so
    secret_field: str = "appSecret"
    token_field: str = "token"  # dotted paths into the token response
    expires_field: str | None = "expires_in"  # seconds; None: the token lasts until refused
    token_header: str = "X-Access-Token"
    token_prefix: str = ""  # e.g. "Bearer "
    paging: Literal["page", "offset"] = "page"
    page_param: str = "pageNum"
    offset_param: str = "offset"
    size_param: str = "pageSize"
    first_page: int = Field(1, ge=0)
    page_size: int = Field(100, gt=0, le=10_000)
    rows_path: str = "data.list"  # dotted paths into a page's response
    total_path: str | None = "data.total"
    has_more_path: str | None = None  # when given, decides whether another page follows
    code_path: str | None = "code"  # None: the envelope has no code, HTTP status alone decides
    ok_codes: list[Code] = [0, 200]
    expired_codes: list[Code] = []
    message_path: str | None = "msg"
    # the query parameter asking for rows updated since a time; None: every sync reads all
    since_param: str | None = None
    since_format: str | None = None  # strftime form of that time; None: ISO 8601 with offset
    timezone: ZoneName = "Asia/Shanghai"  # of the time sent and of update times without offset
    timeout_s: float = Field(10.0, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff_s: float = Field(0.5, ge=0)  # urllib3's backoff factor: 0, 2×, 4×, … between tries
    backoff_max_s: float = Field(30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("app_secret_env")
    @classmethod
    def _not_a_setting(cls, value: str | None) -> str | None:
        # the app refuses to start with an ONESCREEN_* variable that is not one of its settings
        if value is not None and value.upper().startswith(ENV_PREFIX):
            raise ValueError(
                f"{ENV_PREFIX}* variables are the app's settings; name another, e.g. SHARING_PLATFORM_SECRET"
            )
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> SharingClientOptions:
        if (self.app_secret is None) == (self.app_secret_env is None):
            raise ValueError("give exactly one of `app_secret` and `app_secret_env`")
        return self


@dataclass(frozen=True, slots=True)
class PlatformPage:
    """One page as the platform sent it: its rows (whatever the list held), where it was asked
    from (a page number or an offset), the 0-based position of its first row in the whole
    result, and where the next page is asked from (None: this was the last)."""

    rows: list[Any]
    position: int
    first_row: int
    next_position: int | None


def dig(document: Any, path: str) -> Any:
    """The value at dotted `path` ("data.list") in nested objects; None where a step is missing."""
    value = document
    for step in path.split("."):
        if not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    return value


class SharingClient:
    """A session with one platform: holds the token between pages. Not thread-safe (one sync at
    a time uses it); `clock` (monotonic seconds) decides when a token is near its end."""

    def __init__(
        self, options: SharingClientOptions, where: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.options = options
        self.where = where
        self.clock = clock
        self._session: requests.Session | None = None
        self._token: str | None = None
        self._renew_at: float | None = None
        self.tokens_fetched = 0

    @property
    def first_position(self) -> int:
        return self.options.first_page if self.options.paging == "page" else 0

    def open(self) -> None:
        if self._session is not None:
            return
        retry = Retry(
            total=self.options.retries,
            backoff_factor=self.options.backoff_s,
            backoff_max=self.options.backoff_max_s,
            status_forcelist=RETRIED_STATUSES,
            # the token request is a POST; asking again for a token does no harm
            allowed_methods=frozenset({"GET", "POST"}),
            raise_on_status=False,  # the last answer comes back and is reported with its status
            respect_retry_after_header=True,
        )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._session = session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        self._token = None
        self._renew_at = None

    def page(self, path: str, position: int, since: datetime | None) -> PlatformPage:
        """The page of resource `path` at `position` (rows updated since `since` when given and
        the platform has `since_param`). Blocks for the requests and their retries; raises as the
        module's docstring says."""
        options = self.options
        query: dict[str, Any] = {options.size_param: options.page_size}
        if options.paging == "page":
            query[options.page_param] = position
            first_row = (position - options.first_page) * options.page_size
        else:
            query[options.offset_param] = position
            first_row = position
        if since is not None and options.since_param:
            query[options.since_param] = self.since_text(since)
        what = f"{path} {'page' if options.paging == 'page' else 'offset'} {position}"
        document = self._data(path, query, what)
        rows = dig(document, options.rows_path)
        if rows is None and options.total_path and _number(dig(document, options.total_path)) == 0:
            rows = []  # platforms send "list": null, or no data at all, for an empty result
        if not isinstance(rows, list):
            raise ContractError(
                f"{self.where}: {what}: {options.rows_path} is not a list of rows "
                f"(it is {type(rows).__name__}: {shorten(rows)})"
            )
        return PlatformPage(rows, position, first_row, self._next(document, rows, position, first_row))

    def since_text(self, since: datetime) -> str:
        """`since` as the platform reads it: in its zone, in `since_format` (default ISO 8601)."""
        local = since.astimezone(ZoneInfo(self.options.timezone)) if self.options.timezone else since
        return local.strftime(self.options.since_format) if self.options.since_format else local.isoformat()

    def _next(self, document: Any, rows: list[Any], position: int, first_row: int) -> int | None:
        options = self.options
        if not rows:
            return None
        if options.has_more_path:
            more = dig(document, options.has_more_path)
            more = more.strip().lower() in ("true", "1", "yes") if isinstance(more, str) else bool(more)
        elif options.total_path and (total := _number(dig(document, options.total_path))) is not None:
            more = first_row + len(rows) < total
        else:
            more = len(rows) >= options.page_size
        if not more:
            return None
        return position + 1 if options.paging == "page" else position + len(rows)

    def _data(self, path: str, query: dict[str, Any], what: str) -> Any:
        """The JSON document of a data request, the token renewed once if the platform says it
        has expired."""
        url = self.options.base_url + "/" + path.lstrip("/")
        for attempt in (1, 2):
            response = self._send("GET", url, what, params=query, headers=self._auth())
            document = self._json(response, what) if response.status_code < 400 else None
            if not self._expired(response, document):
                break
            if attempt == 2:
                raise SourceMisconfigured(
                    f"{self.where}: {what}: the platform refused a token it had just issued; "
                    "check that app_key may read this resource"
                )
            self._token = None  # renewed once, then the page is asked again
        status = response.status_code
        if status >= 400:
            raise self._http_error(response, what)
        code = dig(document, self.options.code_path) if self.options.code_path else None
        # an answer without a code is judged by its HTTP status alone (some gateways leave it out)
        if code is not None and not _listed(code, self.options.ok_codes):
            message = dig(document, self.options.message_path) if self.options.message_path else None
            raise SourceUnavailable(
                f"{self.where}: {what}: the platform answered code {code!r}"
                + (f": {shorten(message, 120)}" if message else "")
            )
        return document

    def _auth(self) -> dict[str, str]:
        if self._token is None or (self._renew_at is not None and self.clock() >= self._renew_at):
            self._fetch_token()
        assert self._token is not None
        return {self.options.token_header: self.options.token_prefix + self._token}

    def _fetch_token(self) -> None:
        options = self.options
        secret = options.app_secret
        if options.app_secret_env is not None:
            secret = os.environ.get(options.app_secret_env)
            if not secret:
                raise SourceMisconfigured(
                    f"{self.where}: app_secret_env: the environment variable {options.app_secret_env} is not set"
                )
        url = options.base_url + "/" + options.token_path.lstrip("/")
        body = {options.key_field: options.app_key, options.secret_field: secret}
        response = self._send("POST", url, "the token request", json=body)
        if response.status_code in (400, 401, 403):
            raise SourceMisconfigured(
                f"{self.where}: the platform refused app_key {options.app_key!r} and its secret "
                f"({response.status_code}{_message_of(response, options.message_path)})"
            )
        if response.status_code >= 400:
            raise self._http_error(response, "the token request")
        document = self._json(response, "the token request")
        token = dig(document, options.token_field)
        if not isinstance(token, str) or not token:
            raise SourceMisconfigured(
                f"{self.where}: the token response has no text at {options.token_field!r}"
                f"{_message_of(response, options.message_path)}"
            )
        lifetime = dig(document, options.expires_field) if options.expires_field else None
        now = self.clock()
        self._renew_at = (
            now + max(float(lifetime) - RENEW_EARLY_S, float(lifetime) / 2)
            if isinstance(lifetime, int | float) and lifetime > 0
            else None
        )
        self._token = token
        self.tokens_fetched += 1

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        self.open()
        assert self._session is not None
        try:
            return self._session.request(method, url, timeout=self.options.timeout_s, **kwargs)
        except requests.exceptions.InvalidURL as exc:
            raise SourceMisconfigured(f"{self.where}: base_url: {exc}") from exc
        except requests.RequestException as exc:
            tries = self.options.retries + 1
            raise SourceUnavailable(
                f"{self.where}: {what}: no answer after {tries} tries ({_cause(exc)})"
            ) from exc

    def _json(self, response: requests.Response, what: str) -> Any:
        try:
            return json.loads(response.content)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ContractError(
                f"{self.where}: {what}: the answer is not JSON (it begins {shorten(response.content[:_SHOWN_BYTES])})"
            ) from None

    def _expired(self, response: requests.Response, document: Any) -> bool:
        if response.status_code == 401:
            return True
        code = dig(document, self.options.code_path) if self.options.code_path else None
        return code is not None and _listed(code, self.options.expired_codes)

    def _http_error(self, response: requests.Response, what: str) -> Exception:
        status = response.status_code
        detail = f"{status} {response.reason}{_message_of(response, self.options.message_path)}"
        if status >= 500 or status in RETRIED_STATUSES:
            return SourceUnavailable(
                f"{self.where}: {what}: the platform answered {detail} after {self.options.retries + 1} tries"
            )
        return SourceMisconfigured(f"{self.where}: {what}: the platform answered {detail}")


def _listed(code: Any, codes: list[Code]) -> bool:
    """Whether `code` is among `codes`, comparing as text (platforms send 0 and "0" alike)."""
    return str(code) in {str(c) for c in codes}


def _message_of(response: requests.Response, message_path: str | None) -> str:
    """The platform's message in an error answer, as ": message", or nothing."""
    if not message_path:
        return ""
    try:
        message = dig(json.loads(response.content), message_path)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return ""
    return f": {shorten(message, 120)}" if message else ""


def _cause(exc: requests.RequestException) -> str:
    """What made a request fail after its retries, in a few words (a refused connection, a
    timeout), rather than requests' whole chain of wrapped exceptions."""
    inner: Any = exc.args[0] if exc.args else exc
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        inner = inner.reason
    return f"{type(inner).__name__}: {inner}"[:200]


def _number(value: Any) -> float | None:
    """A total as a number, None when it is not one."""
    try:
        return float(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    except ValueError:
        return None
