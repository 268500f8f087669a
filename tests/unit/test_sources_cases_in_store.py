"""Cases are queried in the store, so the sources file may name only the store as their source:
a CSV export or another database serving `cases` would be read by nothing (the panels query the
store) and is refused at start-up, with the way to bring those cases in."""

from __future__ import annotations

import pytest

from config.settings import load_settings
from data_sources.errors import SourceMisconfigured
from services.sources import read_sources_file

STORE = """
sources:
  park-store:
    adapter: sql
    serves: [cases, case_events]
    options: {url: "${store_url}"}
"""


def _read(tmp_path, text: str):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return read_sources_file(path, load_settings(data_dir=tmp_path))


def test_the_store_serving_cases_is_accepted(tmp_path):
    assert _read(tmp_path, STORE).sources["park-store"].serves == ["cases", "case_events"]


@pytest.mark.parametrize(
    "entry",
    [
        "adapter: csv\n    serves: [cases]\n    options: {path: cases.csv}",
        "adapter: sql\n    serves: [cases]\n    options: {url: 'postgresql+psycopg://vendor/grid'}",
    ],
)
def test_another_source_serving_cases_is_refused_with_the_way_in(tmp_path, entry):
    text = f"sources:\n  grid:\n    {entry}\n"
    with pytest.raises(SourceMisconfigured) as caught:
        _read(tmp_path, text)
    assert "sources.grid.serves" in str(caught.value) and "Importing cases" in str(caught.value)
