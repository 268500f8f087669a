"""Find adapter classes by kind: the built-ins and third-party ones, through the same
entry-point group (`onescreen.data_sources`), so the built-ins are the reference plugins.

A plugin that fails to load is reported (logged once, listed in `failures`) and skipped; it
never stops the app. Two adapters claiming one kind is a configuration error."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points

from data_sources.base import DataSource
from data_sources.errors import SourceMisconfigured

log = logging.getLogger(__name__)

GROUP = "onescreen.data_sources"

# The built-in adapters, written as entry points so they load exactly as a plugin would.
BUILTIN = (
    "sql = data_sources.adapters.sql_store:SqlStoreSource",
    "csv = data_sources.adapters.csv_file:CsvFileSource",
    "geojson = data_sources.adapters.geojson_file:GeoJsonFileSource",
    "open311 = data_sources.adapters.open311:Open311Source",
    "sql_cases = data_sources.adapters.sql_cases:SqlCaseSource",
    "mqtt = data_sources.adapters.mqtt:MqttReadingSource",
    "demo_feed = data_sources.adapters.demo_feed:DemoFeedSource",
    "sharing_platform = data_sources.adapters.sharing_platform:SharingPlatformSource",
)


@dataclass
class Registry:
    adapters: dict[str, type[DataSource]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def add(self, adapter: type[DataSource], origin: str) -> None:
        kind = getattr(adapter, "kind", None)
        if not isinstance(adapter, type) or not issubclass(adapter, DataSource) or not kind:
            raise TypeError(f"{origin}: {adapter!r} is not a DataSource subclass with a kind")
        if kind in self.adapters and self.adapters[kind] is not adapter:
            raise SourceMisconfigured(
                f"adapter kind {kind!r} is claimed by both {self.origins[kind]} and {origin}"
            )
        self.adapters[kind] = adapter
        self.origins[kind] = origin

    def get(self, kind: str) -> type[DataSource]:
        try:
            return self.adapters[kind]
        except KeyError:
            known = ", ".join(sorted(self.adapters)) or "none"
            hint = f" (it failed to load: {self.failures[kind]})" if kind in self.failures else ""
            raise SourceMisconfigured(f"unknown adapter {kind!r}{hint}; known adapters: {known}") from None

    def load(self, points: Iterable[EntryPoint], origin: str) -> None:
        for point in points:
            try:
                adapter = point.load()
                self.add(adapter, f"{origin} {point.value}")
            except SourceMisconfigured:
                raise
            except Exception as exc:  # a broken plugin is reported and skipped, never fatal
                self.failures[point.name] = f"{type(exc).__name__}: {exc}"
                log.warning("data source plugin %r (%s) failed to load: %s", point.name, point.value, exc)


def _builtin_points() -> list[EntryPoint]:
    points = []
    for line in BUILTIN:
        name, _, value = (part.strip() for part in line.partition("="))
        points.append(EntryPoint(name=name, value=value, group=GROUP))
    return points


def discover() -> Registry:
    """Load the built-in adapters, then every installed `onescreen.data_sources` entry point."""
    registry = Registry()
    registry.load(_builtin_points(), "built-in")
    registry.load(entry_points(group=GROUP), "entry point")
    return registry


def load_class(path: str) -> type:
    """Import 'module:Class' (used by tests and the CLI to name an adapter directly)."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)
