"""The configured sources (config/sources.yaml), each behind a monitor, and which one serves
each contract. Built once in create_app(); no source connects until its first read (building
the monitors only registers them in the health book)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import ROOT, Settings
from data_sources.base import DataSource
from data_sources.contracts import CONTRACTS
from data_sources.errors import SourceMisconfigured
from data_sources.health import HealthBook, SourceHealth
from data_sources.monitor import Clock, Snapshot, SourceMonitor, utc_now
from data_sources.reference_checks import Reference
from data_sources.registry import Registry, discover
from data_sources.validation import Rejection


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    adapter: str
    title: dict[str, str] = Field(default_factory=dict)
    serves: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: dict[str, SourceConfig]


def read_sources_file(path: Path, settings: Settings) -> SourcesFile:
    """Parse and check the sources file; raise SourceMisconfigured naming the bad key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceMisconfigured(f"{path}: {exc.strerror}") from None
    values = {"store_url": settings.store_url, "data_dir": str(settings.data_dir), "root": str(ROOT)}
    try:
        text = Template(text).substitute(values)
    except (KeyError, ValueError) as exc:
        raise SourceMisconfigured(f"{path}: unknown placeholder {exc}; known: {', '.join(values)}") from None
    try:
        parsed = SourcesFile.model_validate(yaml.safe_load(text) or {})
    except yaml.YAMLError as exc:
        raise SourceMisconfigured(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SourceMisconfigured(f"{path}: {problems}") from None
    _cases_in_the_store(path, parsed, settings)
    return parsed


def _cases_in_the_store(path: Path, parsed: SourcesFile, settings: Settings) -> None:
    """Cases are queried in the store, never read whole from elsewhere (DESIGN: queries run in
    the store): a source serving them must be the store itself. Any other case system is
    imported or synced into it (csv import, sql_cases, open311 with sync_interval_s)."""
    for name, entry in parsed.sources.items():
        if "cases" in entry.serves and (
            entry.adapter != "sql" or entry.options.get("url") != settings.store_url
        ):
            raise SourceMisconfigured(
                f"{path}: sources.{name}.serves: cases are queried in the store, so only the store "
                "(adapter sql, url ${store_url}) serves them; import or sync other case systems into it "
                "(README: Importing cases)"
            )


class SourceManager:
    """Named monitors and the contract → source map. Thread-safe for reads (monitors lock)."""

    def __init__(
        self,
        config: SourcesFile,
        book: HealthBook,
        *,
        registry: Registry | None = None,
        clock: Clock = utc_now,
        base_dir: Path = ROOT,
    ) -> None:
        registry = registry or discover()
        self.book = book
        self.config = config
        self.monitors: dict[str, SourceMonitor] = {}
        self.serving: dict[str, str] = {}
        for name, entry in config.sources.items():
            adapter = registry.get(entry.adapter)
            source: DataSource = adapter(name, entry.options, base_dir=str(base_dir))
            self.monitors[name] = SourceMonitor(source, book, clock=clock, references=self.reference)
            for contract in entry.serves:
                if contract not in CONTRACTS:
                    raise SourceMisconfigured(f"sources.{name}.serves: unknown contract {contract!r}")
                if contract not in source.contracts:
                    raise SourceMisconfigured(
                        f"sources.{name}.serves: a {entry.adapter} source cannot serve {contract!r}"
                    )
                if contract in self.serving:
                    raise SourceMisconfigured(
                        f"sources.{name}.serves: {contract!r} is already served by {self.serving[contract]!r}"
                    )
                self.serving[contract] = name

    def read(self, contract: str, since: datetime | None = None) -> Snapshot:
        """The contract's rows (newer than `since`, where the source can filter) from the source
        that serves it; SourceMisconfigured if none does."""
        name = self.serving.get(contract)
        if name is None:
            raise SourceMisconfigured(f"no configured source serves {contract!r}")
        return self.monitors[name].read(contract, since)

    def reference(self, contract: str) -> Reference:
        """The current rows of `contract` for checking the rows that name them (an enterprise's
        chain link), or why there are none: no source serves it, or its source was never read."""
        name = self.serving.get(contract)
        if name is None:
            return Reference(None, f"no configured source serves {contract}")
        snap = self.monitors[name].current(contract)
        if snap.fetched_at is None:
            why = snap.health.last_error or "it has not been read"
            return Reference(None, f"{contract} could not be read from source {name!r} ({why})")
        return Reference(snap.frame)

    def recent_rejections(self, name: str) -> list[Rejection]:
        """The newest rejected rows of source `name`, oldest first."""
        return self.book.recent_rejections(name)

    def source_of(self, contract: str) -> str | None:
        return self.serving.get(contract)

    def title(self, name: str, lang: str) -> str:
        titles = self.config.sources[name].title
        return titles.get(lang) or titles.get("en") or name

    def health(self) -> list[SourceHealth]:
        """Every configured source's health (unknown until first read)."""
        known = {h.source: h for h in self.book.all()}
        return [
            known.get(name) or SourceHealth(source=name, adapter=m.source.kind)
            for name, m in self.monitors.items()
        ]

    def close(self) -> None:
        for monitor in self.monitors.values():
            monitor.close()
