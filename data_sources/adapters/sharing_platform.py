"""SharingPlatformSource: enterprises, their yearly figures and the chains' links from a
government data-sharing platform's JSON API (数据共享交换平台), to be synced into OneScreen's store
(services/sharing_sync.py) rather than served to panels directly.

The HTTP side (token, paging, envelope, retries) is data_sources/adapters/sharing_client.py; the
platform's field names in ours, data_sources/adapters/sharing_mapping.py. Options (sources.yaml):
those of the client (base_url, app_key, app_secret or app_secret_env, paging and envelope
paths, since_param, retries…), `mapping` (a YAML file relative to the configuration's root, or
the mapping inline) and `sync_interval_s` (the app syncs that often; without it only
`flask --app app enterprises sync NAME` does). The mapping is read when the source is built, so
a wrong mapping stops the app at start-up naming the key; nothing is connected before open()."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import Field

from data_sources.adapters import resolve_path
from data_sources.adapters.sharing_client import SharingClient, SharingClientOptions
from data_sources.adapters.sharing_mapping import ResourceMapping, SharingMapping, map_rows, newest_update
from data_sources.base import INCREMENTAL, DataSource
from data_sources.case_mapping import load_mapping, parse_mapping
from data_sources.contracts import CONTRACTS
from data_sources.errors import ContractError, SourceMisconfigured
from data_sources.monitor import PARSE_REJECTIONS


class SharingPlatformOptions(SharingClientOptions):
    mapping: str | dict[str, Any]
    sync_interval_s: float | None = Field(None, gt=0)
    # a platform that never says "last page" is stopped here rather than read for ever
    max_pages: int = Field(10_000, gt=0)


@dataclass(frozen=True, slots=True)
class SharingPage:
    """One page as contract rows: the frame (indexed by row number in the whole result, from 1;
    the rows the mapping could not read in `frame.attrs[PARSE_REJECTIONS]`), how many rows the
    platform sent, where it was asked from and where the next one is (None: the last), and the
    newest update time among its rows (None when the mapping names no update field)."""

    frame: pd.DataFrame
    rows: int
    position: int
    next_position: int | None
    newest: datetime | None


class SharingPlatformSource(DataSource):
    """A data-sharing platform through a mapping. Holds an HTTP session and a token between
    open() and close(); not thread-safe."""

    kind = "sharing_platform"
    contracts = frozenset({"chains", "enterprises", "enterprise_figures"})
    capabilities = frozenset({INCREMENTAL})
    Options = SharingPlatformOptions
    options: SharingPlatformOptions

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *, base_dir: str = ".") -> None:
        super().__init__(name, options, base_dir=base_dir)
        self._where = f"source {name!r} (sharing_platform)"
        spec = self.options.mapping
        if isinstance(spec, str):
            self.mapping = load_mapping(resolve_path(spec, base_dir), SharingMapping)
        else:
            self.mapping = parse_mapping(spec, SharingMapping, f"{self._where}: mapping")
        self.contracts = frozenset(self.mapping.resources)
        # rows updated since a time can be asked for only when the platform takes the time and
        # every resource says where a row's update time is
        incremental = self.options.since_param is not None and all(
            r.updated is not None for r in self.mapping.resources.values()
        )
        self.capabilities = frozenset({INCREMENTAL}) if incremental else frozenset()
        self.client = SharingClient(self.options, self._where)

    @property
    def first_position(self) -> int:
        return self.client.first_position

    def open(self) -> None:
        self.client.open()

    def close(self) -> None:
        self.client.close()

    def read_page(self, contract: str, position: int, since: datetime | None = None) -> SharingPage:
        """The page of `contract` at `position` (a page number or an offset, as the platform
        pages), only rows updated since `since` when the source is INCREMENTAL. Blocks for the
        requests; raises SourceUnavailable, SourceMisconfigured or ContractError (the page cannot
        be read at all: not JSON, its rows not a list)."""
        resource = self._resource(contract)
        asked = since if INCREMENTAL in self.capabilities else None
        page = self.client.page(resource.path, position, asked)
        frame = map_rows(page.rows, resource, CONTRACTS[contract], source=self.name, first_row=page.first_row)
        newest = newest_update(page.rows, resource, self.options.timezone)
        return SharingPage(frame, len(page.rows), position, page.next_position, newest)

    def pages(
        self, contract: str, since: datetime | None = None, start: int | None = None
    ) -> Iterator[SharingPage]:
        """Every page of `contract` from `start` (default the first) to the last; raises as
        read_page, and SourceMisconfigured past `max_pages`."""
        position: int | None = self.first_position if start is None else start
        for _ in range(self.options.max_pages):
            if position is None:
                return
            page = self.read_page(contract, position, since)
            yield page
            position = page.next_position
        if position is not None:
            raise SourceMisconfigured(
                f"{self._where}: {contract}: more than max_pages ({self.options.max_pages}) pages; "
                "check has_more_path or total_path, or raise max_pages"
            )

    def fetch(self, contract: str, since: datetime | None = None) -> pd.DataFrame:
        """All rows of `contract` (updated since `since`, when INCREMENTAL) in one frame, the
        unreadable ones in PARSE_REJECTIONS. Raises as read_page."""
        frames: list[pd.DataFrame] = []
        rejections: list[Any] = []
        for page in self.pages(contract, since):
            rejections += page.frame.attrs.pop(PARSE_REJECTIONS, [])
            frames.append(page.frame)
        frame = pd.concat(frames) if frames else pd.DataFrame(columns=CONTRACTS[contract].columns)
        frame.attrs[PARSE_REJECTIONS] = rejections
        return frame

    def _resource(self, contract: str) -> ResourceMapping:
        if contract not in self.contracts:
            offered = ", ".join(sorted(self.contracts))
            raise ContractError(f"{self._where} provides {offered}, not {contract!r}")
        return self.mapping.resources[contract]
