"""One settings object, read from ONESCREEN_* environment variables and an optional YAML file.

Precedence: keyword arguments > environment > YAML file > defaults. The YAML file is the one
named by ONESCREEN_CONFIG_FILE, if set. Unknown keys and bad values stop start-up with a message
naming the key (SettingsError)."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "ONESCREEN_"
DEFAULT_SECRET_KEY = "onescreen-embedded-development-key"


class SettingsError(Exception):
    """The configuration is wrong; the message names the key and what is wrong with it."""


class Settings(BaseSettings):
    """What an operator can set. Every field is documented: a test fails when one is not."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    profile: Literal["embedded", "production"] = Field(
        "embedded",
        description="embedded: one process on SQLite with the demo park; production: PostgreSQL, Redis, MQTT",
    )
    host: str = Field("127.0.0.1", description="address the development server listens on")
    port: int = Field(8050, ge=1, le=65535, description="port the development server listens on")
    data_dir: Path = Field(ROOT / "var", description="where the embedded store and other run-time files live")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the store; default: SQLite file in data_dir (embedded profile)"
    )
    redis_url: str | None = Field(None, description="Redis URL for cache and bus (production profile)")
    sources_file: Path = Field(ROOT / "config" / "sources.yaml", description="the configured data sources")
    map_layers_file: Path = Field(
        ROOT / "config" / "map_layers.yaml", description='the one map\'s layers (README, "The one map")'
    )
    chain_rules_file: Path = Field(
        ROOT / "config" / "chain_rules.yaml",
        description='when a chain link counts as weak, and how targets rank (README, "The industry chain")',
    )
    screens_file: Path = Field(
        ROOT / "config" / "screens.yaml",
        description='the video wall\'s screen layouts (README, "Wall layouts")',
    )
    policies_file: Path = Field(
        ROOT / "config" / "policies.yaml",
        description='the support policies and their criteria (README, "Policy matching")',
    )
    timezone: str = Field(
        "Asia/Shanghai", description="the park's time zone for display; the store keeps UTC"
    )
    default_language: Literal["zh", "en"] = Field("zh", description="language of a first visit")
    default_theme: Literal["wall", "desk"] = Field("wall", description="dark wall theme or light desk theme")
    secret_key: str = Field(
        DEFAULT_SECRET_KEY, description="Flask secret key (must be changed in production)"
    )
    tile_url: str | None = Field(
        None, description="intranet map tile URL template ({z}/{x}/{y}); none: the map draws without tiles"
    )
    tile_crs: Literal["wgs84", "gcj02", "bd09", "cgcs2000"] = Field(
        "wgs84",
        description="the coordinate system the tile server draws in: gcj02 for Gaode (AMap) and Tencent, "
        "bd09 for Baidu, cgcs2000 for Tianditu, wgs84 for OpenStreetMap-style servers; every layer "
        "(in WGS-84) is shifted to match it",
    )
    wms_url: str | None = Field(
        None, description="an intranet WMS endpoint drawn over the tiles (same origin rules as tile_url)"
    )
    wms_layers: str = Field("", description="the WMS layers to draw, comma-separated, when wms_url is set")
    demo_seed: int = Field(20261124, description="seed of the demo park generator")
    demo_cases: int = Field(300_000, ge=0, description="cases the demo park generates")
    demo_live: bool = Field(
        True,
        description="embedded demo park only: new cases keep coming and open ones move along the loop "
        "(never in production)",
    )
    demo_live_interval_s: float = Field(
        15, gt=0, le=3600, description="how often the live demo park reports and moves cases"
    )
    live_streams_max: int = Field(
        16,
        ge=1,
        le=1000,
        description="live alert streams one server process holds open at once (each holds a thread; "
        "gunicorn gets this many threads more than GUNICORN_THREADS); beyond it 503 and the page retries",
    )
    readings_raw_days: float = Field(
        7,
        gt=0,
        le=3660,
        description="raw sensor readings are kept this many days, then rolled into hourly aggregates "
        "(readings_hourly) and deleted by the worker, so the store stays bounded",
    )
    cache_timeout_s: int = Field(30, ge=0, description="how long a cached read stays fresh")
    freshness_warn_s: int = Field(600, ge=1, description="data older than this is marked stale on panels")
    case_intake_warn_s: int = Field(
        3600,
        ge=1,
        description="cases are stale when no case was reported for this long (a park reports a few an "
        "hour at night, so the feeds' freshness_warn_s would cry wolf)",
    )
    anonymous_role: Literal["viewer", "leader"] | None = Field(
        None,
        description="role of visitors who have not signed in (a wall screen without a login); none: sign-in required",
    )
    session_hours: int = Field(
        12, ge=1, le=24 * 30, description="a session ends this long after sign-in, however active it is"
    )
    build_label: str = Field(
        "",
        max_length=100,
        description="names this deployment (its commit, say): open pages reload once when it or the assets change",
    )
    login_max_failures: int = Field(10, ge=1, description="wrong passwords in a row that lock an account")
    login_lockout_minutes: int = Field(15, ge=1, description="how long a locked account stays locked")
    login_ip_max_failures: int = Field(
        100,
        ge=1,
        description="failed sign-ins from one address within login_lockout_minutes before it is refused",
    )
    open311_reports_per_minute: int = Field(
        10,
        ge=1,
        le=10_000,
        description="service requests one API token may POST to /open311/v2 per minute (429 beyond)",
    )
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="origins allowed to embed the app in a frame (https://portal.example); none: no framing",
    )
    embed_frame_ancestors: list[str] = Field(
        default_factory=list,
        description="origins whose pages may show an embedded panel (/embed/<token>) in an iframe; "
        "a port may be * (http://localhost:*); none: no portal may",
    )
    proxy_count: int = Field(
        0,
        ge=0,
        le=5,
        description="reverse proxies in front of the app whose X-Forwarded-* headers are trusted",
    )
    log_format: Literal["text", "json"] | None = Field(
        None,
        validate_default=True,
        description="log lines as text, or as one JSON object a line with the request's id "
        "(ops/logs.py); unset: text in the embedded profile, json in production",
    )
    metrics_allow: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="networks (CIDRs) that may read /metrics without a token; default: loopback only",
    )

    @field_validator("wms_url")
    @classmethod
    def _wms_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(
            r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s;'\"?]*)?", value
        ):
            raise ValueError(f"{value!r} is not a WMS URL like https://gis.park.local/geoserver/wms")
        return value

    @field_validator("tile_url")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(
            r"https?://(\{[a-z]+\}\.)?[A-Za-z0-9.-]+(:\d{1,5})?/[^\s;'\"]*", value
        ):
            raise ValueError(
                f"{value!r} is not a tile URL template like https://tiles.park.local/{{z}}/{{x}}/{{y}}.png"
            )
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "'self'" and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
                raise ValueError(f"{origin!r} is not an origin like https://portal.example or 'self'")
        return value

    @field_validator("embed_frame_ancestors")
    @classmethod
    def _embed_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "'self'" and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:(\d{1,5}|\*))?", origin):
                raise ValueError(
                    f"{origin!r} is not an origin like https://portal.example, http://localhost:* or 'self'"
                )
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format_by_profile(cls, value: str | None, info: ValidationInfo) -> str:
        if value is not None:
            return value
        return "json" if info.data.get("profile") == "production" else "text"

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=True)
            except ValueError as exc:  # e.g. "10.0.0.1/8 has host bits set"
                raise ValueError(
                    f"{network!r} is not a network like 10.20.0.0/16 or ::1/128: {exc}"
                ) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _production_is_not_a_demo(self) -> Settings:
        if self.profile == "production":
            if self.secret_key == DEFAULT_SECRET_KEY:
                raise ValueError("secret_key: the production profile refuses the default secret key")
            if not self.secret_key.strip():  # deploy/onescreen.env.example leaves it empty to fill in
                raise ValueError("secret_key: the production profile needs a secret key; it is empty")
            if not self.database_url:
                raise ValueError("database_url: the production profile needs a database URL (PostgreSQL)")
        return self

    @property
    def store_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'onescreen.sqlite'}"

    @property
    def store_key(self) -> str:
        """A short name of the store, for keys in a shared Redis: two deployments on one Redis
        never read each other's cache entries or counters."""
        return hashlib.sha256(self.store_url.encode()).hexdigest()[:12]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlFile(settings_cls))


class _YamlFile(PydanticBaseSettingsSource):
    """The YAML file named by ONESCREEN_CONFIG_FILE (a mapping of setting names to values)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ is overridden

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get(f"{ENV_PREFIX}CONFIG_FILE")
        if not path:
            return {}
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise SettingsError(f"{ENV_PREFIX}CONFIG_FILE: cannot read {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise SettingsError(f"{ENV_PREFIX}CONFIG_FILE: {path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{ENV_PREFIX}CONFIG_FILE: {path} must hold a mapping of settings")
        return data


def _unknown_env_keys() -> list[str]:
    known = {f"{ENV_PREFIX}{name}".upper() for name in Settings.model_fields} | {f"{ENV_PREFIX}CONFIG_FILE"}
    return sorted(k for k in os.environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise SettingsError naming every bad or unknown key."""
    unknown = _unknown_env_keys()
    if unknown:
        raise SettingsError(f"unknown setting(s) in the environment: {', '.join(unknown)}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                lines.append(f"{key}: unknown setting")
            else:
                lines.append(f"{key}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("bad settings: " + "; ".join(lines)) from None
