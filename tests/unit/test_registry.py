"""The registry finds a third party's adapter through the `onescreen.data_sources` entry-point
group exactly as it finds the built-ins: a real distribution is built on disk for each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from data_sources.base import DataSource
from data_sources.errors import SourceMisconfigured
from data_sources.registry import GROUP, discover, load_class

WEATHER_MODULE = '''
"""A third party's adapter: weather readings from a station."""
import pandas as pd
from data_sources.base import DataSource


class WeatherSource(DataSource):
    kind = "weather"
    contracts = frozenset({"readings"})

    def fetch(self, contract, since=None):
        return pd.DataFrame(
            {"sensor_id": ["ws-1"], "quantity": ["temp"], "unit": ["Cel"], "value": [21.5],
             "at": ["2024-03-01T08:00:00+08:00"]}
        )
'''


def install(root: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """Write an installed distribution into `root` (a sys.path entry): its dist-info with
    METADATA and entry_points.txt, and its modules."""
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    lines = [f"[{GROUP}]"] + [f"{name} = {value}" for name, value in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source, encoding="utf-8")


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[Path]:
    """A fresh site directory on sys.path; the modules the test imports from it are forgotten after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("thirdparty_"):
            del sys.modules[name]


def test_a_third_party_adapter_is_found_by_its_entry_point(site):
    install(site, "thirdparty_onescreen", {"weather": "thirdparty_weather:WeatherSource"},
            {"thirdparty_weather": WEATHER_MODULE})  # fmt: skip
    registry = discover()
    adapter = registry.get("weather")
    assert adapter.__module__ == "thirdparty_weather" and issubclass(adapter, DataSource)
    assert registry.origins["weather"] == "entry point thirdparty_weather:WeatherSource"
    assert registry.failures.get("weather") is None
    assert {"csv", "geojson", "open311"} <= set(registry.adapters), "the built-ins load beside it"
    frame = adapter("station", {}).fetch("readings")
    assert list(frame["sensor_id"]) == ["ws-1"]


def test_a_plugin_whose_import_raises_is_reported_and_skipped(site, caplog):
    install(
        site,
        "thirdparty_onescreen",
        {"weather": "thirdparty_weather:WeatherSource", "broken": "thirdparty_broken:BrokenSource"},
        {
            "thirdparty_weather": WEATHER_MODULE,
            "thirdparty_broken": "raise ImportError('needs libfoo 2.0')\n",
        },
    )
    registry = discover()
    assert registry.failures["broken"] == "ImportError: needs libfoo 2.0"
    assert "broken" not in registry.adapters
    assert "weather" in registry.adapters, "one broken plugin does not stop the others"
    assert any("broken" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    with pytest.raises(SourceMisconfigured, match="unknown adapter 'broken' .*failed to load: ImportError"):
        registry.get("broken")


def test_an_entry_point_that_is_not_an_adapter_is_reported_and_skipped(site):
    install(site, "thirdparty_onescreen", {"notanadapter": "thirdparty_plain:Plain"},
            {"thirdparty_plain": "class Plain:\n    kind = 'plain'\n"})  # fmt: skip
    registry = discover()
    assert "is not a DataSource subclass" in registry.failures["notanadapter"]


def test_two_plugins_claiming_one_kind_is_an_error(site):
    other = WEATHER_MODULE.replace("class WeatherSource", "class OtherWeatherSource")
    install(site, "thirdparty_onescreen", {"weather": "thirdparty_weather:WeatherSource"},
            {"thirdparty_weather": WEATHER_MODULE})  # fmt: skip
    install(site, "thirdparty_other", {"weather2": "thirdparty_other_weather:OtherWeatherSource"},
            {"thirdparty_other_weather": other})  # fmt: skip
    with pytest.raises(SourceMisconfigured, match="kind 'weather' is claimed by both .*WeatherSource and .*"):
        discover()


def test_a_plugin_cannot_take_a_builtin_kind(site):
    csv_again = WEATHER_MODULE.replace('kind = "weather"', 'kind = "csv"')
    install(
        site, "thirdparty_onescreen", {"mycsv": "thirdparty_csv:WeatherSource"}, {"thirdparty_csv": csv_again}
    )
    with pytest.raises(SourceMisconfigured, match="kind 'csv' is claimed by both built-in"):
        discover()


def test_an_unknown_kind_names_the_known_ones():
    with pytest.raises(
        SourceMisconfigured, match="unknown adapter 'ftp'; known adapters: .*csv.*geojson.*open311"
    ):
        discover().get("ftp")


def test_load_class_imports_module_colon_name():
    assert load_class("data_sources.adapters.csv_file:CsvFileSource").kind == "csv"
