"""The file adapters read through one helper (data_sources.adapters.read_bytes), so a file that
is gone, a folder, a file the service may not read, a failing disk or an oversized file means
the same exception, and the same words, from every one of them."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from data_sources.adapters import decode, read_bytes
from data_sources.adapters.csv_file import CsvFileSource
from data_sources.adapters.geojson_file import GeoJsonFileSource
from data_sources.adapters.open311 import Open311Source
from data_sources.base import DataSource
from data_sources.errors import SourceMisconfigured, SourceUnavailable

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def csv_source(path: Path) -> DataSource:
    return CsvFileSource("s", {"path": str(path), "contract": "cases"})


def geojson_source(path: Path) -> DataSource:
    return GeoJsonFileSource("s", {"path": str(path), "layer": "l"})


def open311_source(path: Path) -> DataSource:
    return Open311Source("s", {"path": str(path), "default_case_type": "other"})


SOURCES: dict[str, tuple[Callable[[Path], DataSource], str, Path]] = {
    "csv": (csv_source, "cases", FIXTURES / "open311" / "LICENSE.open311status.md"),
    "geojson": (geojson_source, "features", FIXTURES / "geojson" / "good" / "good-point.geojson"),
    "open311": (open311_source, "cases", FIXTURES / "open311" / "chicago_service_requests.json"),
}


@pytest.fixture(params=sorted(SOURCES))
def adapter(request, tmp_path) -> tuple[DataSource, str, Path]:
    """A source of each file adapter on a file that exists (its content does not matter here)."""
    make, contract, fixture = SOURCES[request.param]
    path = tmp_path / "data"
    shutil.copy(fixture, path)
    return make(path), contract, path


def fail_to_open(monkeypatch, path: Path, error: OSError) -> None:
    """Opening `path` raises `error` (running as root, chmod cannot make a file unreadable)."""
    real_open = Path.open

    def open_(self: Path, *args, **kwargs):
        if self == path:
            raise error
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)


def test_a_missing_file_is_unavailable_from_every_file_adapter(adapter):
    source, contract, path = adapter
    path.unlink()
    with pytest.raises(SourceUnavailable, match=f"{path}: no such file"):
        source.fetch(contract)


def test_an_unreadable_file_is_misconfigured_from_every_file_adapter(adapter, monkeypatch):
    source, contract, path = adapter
    fail_to_open(monkeypatch, path, PermissionError(errno.EACCES, "Permission denied", str(path)))
    with pytest.raises(SourceMisconfigured, match=f"path: {path}: permission denied"):
        source.fetch(contract)


def test_a_failing_disk_is_unavailable_from_every_file_adapter(adapter, monkeypatch):
    source, contract, path = adapter
    error = OSError(errno.EIO, "Input/output error", str(path))
    fail_to_open(monkeypatch, path, error)
    with pytest.raises(SourceUnavailable, match=f"{path}: Input/output error") as raised:
        source.fetch(contract)
    assert raised.value.__cause__ is error


def test_a_folder_is_misconfigured(tmp_path):
    with pytest.raises(SourceMisconfigured, match=f"path: {tmp_path} is a folder"):
        read_bytes(tmp_path, "source 's' (x)")
    for make in (geojson_source, open311_source):  # a CSV source reads every *.csv in a folder
        with pytest.raises(SourceMisconfigured, match=f"path: {tmp_path} is a folder"):
            make(tmp_path).fetch("features" if make is geojson_source else "cases")


def test_max_bytes_refuses_a_larger_file_and_reads_one_at_the_cap(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"x" * 10)
    assert read_bytes(path, "s", max_bytes=10) == b"x" * 10
    with pytest.raises(
        SourceMisconfigured, match=r"^s: .*data is larger than max_bytes \(9 bytes\): it is 10 bytes$"
    ):
        read_bytes(path, "s", max_bytes=9)


def test_decode_names_the_encoding_the_first_bad_byte_and_the_hint():
    assert decode("井盖".encode("gb18030"), "gb18030", "s") == "井盖"
    with pytest.raises(SourceMisconfigured, match=r"^s: not utf-8 text \(byte 2\); try gb18030$"):
        decode(b"ok\xbe\xae", "utf-8", "s", hint="try gb18030")


def test_a_file_that_grows_past_max_bytes_after_it_was_measured_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "data"
    path.write_bytes(b"x" * 10)
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((0,) * 10))  # measured while empty
    with pytest.raises(SourceMisconfigured, match=r"larger than max_bytes \(9 bytes\): it grew past it"):
        read_bytes(path, "s", max_bytes=9)
