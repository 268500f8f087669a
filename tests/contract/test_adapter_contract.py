"""The suite every adapter passes: built-in and third-party alike, one parametrised set of tests
over every kind the registry finds. An adapter joins by adding a factory in contract_factories.py
(next to this module); a kind without one fails the suite, so no adapter ships untested."""

from __future__ import annotations

import builtins
import contextlib
import importlib.util
import io
import logging
import os
import pathlib
import socket
import sqlite3
import time
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import contract_factories
import pandas as pd
import pytest
import requests
from contract_factories import ALL_FACTORIES, Setup

from data_sources.base import INCREMENTAL, KEYSET, PUSH, VALIDATED, DataSource
from data_sources.contracts import CONTRACTS
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from data_sources.monitor import PARSE_REJECTIONS, SourceMonitor
from data_sources.registry import BUILTIN, discover
from data_sources.validation import Rejection, validate

REGISTRY = discover()
KINDS = sorted(REGISTRY.adapters)


def arrived(source: DataSource, read: Callable[[], Any], timeout_s: float = 5) -> Any:
    """`read()`, again until it has rows when the source is PUSH: its rows arrive after open()."""
    deadline = time.monotonic() + timeout_s
    result = read()
    while (
        PUSH in source.capabilities
        and len(getattr(result, "frame", result)) == 0
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
        result = read()
    return result


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture
def setup(kind: str, tmp_path: Path) -> Iterator[Setup]:
    if kind not in ALL_FACTORIES:
        pytest.skip(f"no factory for {kind!r}: see test_every_adapter_kind_has_a_factory")
    made = ALL_FACTORIES[kind](tmp_path)
    yield made
    made.cleanup()


def make(kind: str, setup: Setup, name: str = "under-test", **extra: Any) -> DataSource:
    return REGISTRY.get(kind)(name, {**setup.options, **extra}, base_dir=str(setup.base_dir))


def test_every_adapter_kind_has_a_factory(kind):
    if kind not in ALL_FACTORIES:
        pytest.fail(
            f"adapter kind {kind!r} ({REGISTRY.origins[kind]}) has no factory in {contract_factories.__file__}: "
            "add one to LEAD_FACTORIES so the adapter passes the contract suite"
        )


def test_every_builtin_adapter_loads():
    builtin = [line.partition("=")[0].strip() for line in BUILTIN]
    assert {k: REGISTRY.failures[k] for k in builtin if k in REGISTRY.failures} == {}
    assert set(builtin) <= set(REGISTRY.adapters)


def test_declares_its_kind_contracts_and_capabilities(kind, setup):
    source = make(kind, setup)
    assert source.kind == kind
    assert source.contracts and set(source.contracts) <= set(CONTRACTS)
    assert setup.contract in source.contracts
    assert set(source.capabilities) <= {INCREMENTAL, KEYSET, PUSH, VALIDATED}
    assert set(source.contracts) <= set(type(source).contracts), "an instance may narrow, never widen"


def test_unknown_option_is_refused_naming_it(kind, setup):
    with pytest.raises(SourceMisconfigured, match="no_such_option"):
        make(kind, setup, no_such_option=1)


# The calls through which a constructor could touch a file, a database or the network. Each is
# looked up at call time by the code above it (pathlib calls os.stat and io.open, SQLAlchemy's
# SQLite dialect sqlite3.connect, requests a socket), so replacing these catches the lot.
_IO_CALLS: tuple[tuple[Any, str], ...] = (
    (builtins, "open"), (io, "open"), (os, "open"), (os, "stat"), (os, "lstat"), (os, "listdir"),
    (os, "scandir"), (pathlib.Path, "open"), (pathlib.Path, "read_bytes"), (pathlib.Path, "read_text"),
    (pathlib.Path, "stat"), (pathlib.Path, "iterdir"), (sqlite3, "connect"), (socket.socket, "connect"),
    (socket.socket, "connect_ex"), (socket, "create_connection"), (socket, "getaddrinfo"),
    (requests.Session, "request"),
)  # fmt: skip


# Validating a `timezone` option reads the zone from the time-zone database (once; ZoneInfo
# caches it), as the settings do: a read of the system's static data, not of a source.
_TZDATA = importlib.util.find_spec("tzdata")  # the PyPI copy ZoneInfo prefers, when installed
_TZ_DATABASE = (*zoneinfo.TZPATH, *((_TZDATA and _TZDATA.submodule_search_locations) or ()))


def _in_tz_database(args: tuple[Any, ...]) -> bool:
    target = args[0] if args else None
    return isinstance(target, str | os.PathLike) and any(
        os.fspath(target).startswith(os.path.join(root, "")) for root in _TZ_DATABASE
    )


@contextlib.contextmanager
def io_forbidden() -> Iterator[list[str]]:
    """Inside, every call in _IO_CALLS (but reads of the time-zone database) raises
    AssertionError and is listed in the yielded list, so a constructor that swallows the error
    is still caught."""
    calls: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for owner, attribute in _IO_CALLS:
            what, original = f"{owner.__name__}.{attribute}", getattr(owner, attribute)

            def refuse(*args: Any, _what: str = what, _original: Any = original, **kwargs: Any) -> Any:
                if _in_tz_database(args):
                    return _original(*args, **kwargs)
                calls.append(_what)
                raise AssertionError(f"{_what} called while I/O is forbidden")

            patch.setattr(owner, attribute, refuse)
        yield calls


def test_construction_does_no_io(kind, setup):
    with io_forbidden() as calls:
        make(kind, setup)  # nothing is read or connected until open()/fetch()
    assert calls == []


def _connect(_: Path) -> None:
    with socket.socket() as s:
        s.connect(("127.0.0.1", 9))


@pytest.mark.parametrize(
    "io_call",
    [
        lambda p: p.read_bytes(),
        lambda p: p.exists(),
        lambda p: open(p, "rb"),  # noqa: SIM115 - never opened: the guard refuses first
        lambda p: os.stat(p),
        lambda p: sorted(p.parent.glob("*")),
        lambda p: sqlite3.connect(p),
        lambda p: socket.create_connection(("127.0.0.1", 9), timeout=0.1),
        _connect,
        lambda p: requests.get("http://127.0.0.1:9/", timeout=0.1),
    ],
    ids=[
        "read_bytes",
        "exists",
        "open",
        "stat",
        "glob",
        "sqlite",
        "create_connection",
        "connect",
        "requests",
    ],
)
def test_the_io_guard_sees_io_even_when_it_is_swallowed(tmp_path, io_call):
    target = tmp_path / "file"
    target.write_bytes(b"x")
    # an adapter that hides the error behind `except Exception` must be caught too
    with io_forbidden() as calls, contextlib.suppress(Exception):
        io_call(target)
    assert calls


def test_open_and_close_are_idempotent(kind, setup):
    source = make(kind, setup)
    source.close()
    source.open()
    source.open()
    assert len(arrived(source, lambda: source.fetch(setup.contract))) > 0
    source.close()
    source.close()
    source.open()
    assert len(arrived(source, lambda: source.fetch(setup.contract))) > 0
    source.close()


@pytest.mark.parametrize("asked", ["undeclared", "nonexistent"])
def test_fetch_of_a_contract_it_does_not_declare_is_refused(kind, setup, asked):
    source = make(kind, setup)
    others = sorted(set(CONTRACTS) - set(source.contracts))
    if asked == "undeclared" and not others:
        pytest.skip(f"{kind} declares every contract")
    contract = others[0] if asked == "undeclared" else "no_such_contract"
    source.open()
    try:
        with pytest.raises((ContractError, SourceMisconfigured), match=contract):
            source.fetch(contract)
    finally:
        source.close()


def test_fetch_returns_a_frame_the_validator_accepts_whole(kind, setup):
    source = make(kind, setup)
    source.open()
    try:
        frame = arrived(source, lambda: source.fetch(setup.contract))
    finally:
        source.close()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) > 0
    unparsed = frame.attrs.pop(PARSE_REJECTIONS, [])
    assert isinstance(unparsed, list) and all(isinstance(r, Rejection) for r in unparsed)
    assert unparsed == []
    result = validate(frame, CONTRACTS[setup.contract], "under-test")
    assert [r.message for r in result.rejections] == []
    assert len(result.good) == len(frame)


def test_a_source_that_is_gone_raises_source_unavailable(kind, setup):
    source = make(kind, setup)
    setup.make_unavailable()

    def open_and_fetch() -> pd.DataFrame:
        source.open()  # may raise already (a server), or only at fetch (a file)
        return source.fetch(setup.contract)

    with pytest.raises(SourceUnavailable):
        open_and_fetch()
    source.close()


def test_monitor_serves_stale_data_when_down_and_recovers(kind, setup, caplog):
    clock = FakeClock()
    book = HealthBook()
    monitor = SourceMonitor(make(kind, setup), book, clock=clock)
    caplog.set_level(logging.INFO, logger="data_sources.monitor")

    def lines() -> list[tuple[int, str]]:
        found = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "data_sources.monitor"]
        assert all(r.exc_info is None for r in caplog.records), "no tracebacks in the log"
        caplog.clear()
        return found

    first = arrived(monitor.source, lambda: monitor.read(setup.contract))
    assert (first.stale, first.health.status, first.fetched_at) == (False, "ok", clock.now)
    assert len(first.frame) > 0
    good_at = clock.now
    assert lines() == []

    setup.make_unavailable()
    statuses = []
    for attempt in range(1, 4):
        clock.advance(60)
        snap = monitor.read(setup.contract)
        statuses.append(snap.health.status)
        assert snap.stale and snap.fetched_at == good_at
        pd.testing.assert_frame_equal(snap.frame, first.frame)
        logged = lines()
        if attempt == 1:
            assert [level for level, _ in logged] == [logging.WARNING]
            assert "degraded" in logged[0][1]
        elif attempt == 2:
            assert logged == [], "no log line while nothing changes"
        else:
            assert [level for level, _ in logged] == [logging.WARNING]
            assert "down" in logged[0][1]
    assert statuses == ["degraded", "degraded", "down"]
    health = book.get("under-test")
    assert health is not None and health.consecutive_failures == 3 and health.last_success == good_at

    setup.make_available()
    clock.advance(60)
    back = monitor.read(setup.contract)
    assert (back.stale, back.health.status, back.fetched_at) == (False, "ok", clock.now)
    assert [level for level, _ in lines()] == [logging.INFO]
    monitor.close()
