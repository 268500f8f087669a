"""The `sql` source reads enterprises, their figures and chain links from another system's tables
in a SQLite file through a column mapping: every read checked (field and reference checks), bad
rows rejected by row and key, the rest kept, the file never written; a mapping that does not
fit the tables is refused naming the key."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sql_tables_setup import KEPT, REJECTED, create_tables, tables_option
from sqlalchemy import create_engine

from data_sources.adapters.sql_store import SqlStoreSource
from data_sources.base import VALIDATED
from data_sources.errors import SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from services.sources import SourceManager, SourcesFile


@pytest.fixture
def register(tmp_path: Path) -> str:
    path = tmp_path / "register.db"
    engine = create_engine(f"sqlite:///{path}")
    create_tables(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def manager(url: str, tables: dict) -> SourceManager:
    config = {
        "register": {"adapter": "sql", "serves": list(tables), "options": {"url": url, "tables": tables}}
    }
    return SourceManager(SourcesFile.model_validate({"sources": config}), HealthBook())


def rejected(park: SourceManager, contract: str) -> set[tuple]:
    return {
        (r.row, r.key, r.field, r.reason)
        for r in park.recent_rejections("register")
        if r.contract == contract
    }


def test_foreign_tables_serve_the_three_contracts_checked_row_by_row(register) -> None:
    file = Path(register.removeprefix("sqlite:///"))
    before = hashlib.sha256(file.read_bytes()).digest()
    park = manager(register, tables_option())
    # the figures first: their enterprises, and those enterprises' chains, are read for the check
    figures = park.read("enterprise_figures").frame
    assert sorted(zip(figures["enterprise_id"], figures["year"], strict=True)) == KEPT["enterprise_figures"]
    assert list(figures["revenue"]) == [1200.5, 400.0]
    for contract in ("chains", "enterprises", "enterprise_figures"):
        assert rejected(park, contract) == REJECTED[contract], contract
    firms = park.read("enterprises").frame
    assert list(firms["id"]) == KEPT["enterprises"]
    assert str(firms["founded_on"].iat[0]) == "2015-03-01"
    assert list(park.read("chains").frame["link"]) == KEPT["chains"]
    park.close()
    assert hashlib.sha256(file.read_bytes()).digest() == before, "the source never writes"


def test_a_foreign_source_is_never_taken_as_validated(register) -> None:
    source = SqlStoreSource("register", {"url": register, "tables": tables_option(), "validated": True})
    assert VALIDATED not in source.capabilities
    assert source.contracts == frozenset({"enterprises", "enterprise_figures", "chains"})


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"cases": {"table": "t"}}, "synced into the store with adapter sql_cases"),
        ({"enterprises": {"table": "t", "columns": {"a": "nope"}}}, "'nope' is not a field of enterprises"),
        (
            {"enterprises": {"table": "t", "columns": {"a": "id", "b": "id"}}},
            "'id' is mapped from more than one",
        ),
        ({"enterprise": {"table": "t"}}, "enterprise: unknown contract"),
    ],
)
def test_a_mapping_that_is_wrong_in_itself_is_refused_at_start(register, tables, message) -> None:
    with pytest.raises(SourceMisconfigured, match=message):
        SqlStoreSource("register", {"url": register, "tables": tables})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["enterprises"].update(table="qy_nothing"), "there is no table 'qy_nothing'"),
        (
            lambda t: t["enterprises"]["columns"].update(qiye_dz="name_en"),
            r"columns.qiye_dz: the table has no column 'qiye_dz' \(it has qiye_bh, qiye_mc",
        ),
        (
            lambda t: t["enterprises"]["columns"].pop("hydm"),
            "no column gives the required fields industry_code",
        ),
    ],
)
def test_a_mapping_that_does_not_fit_the_tables_is_refused_on_open(register, change, message) -> None:
    tables = tables_option()
    change(tables)
    source = SqlStoreSource("register", {"url": register, "tables": tables})
    with pytest.raises(SourceMisconfigured, match=message):
        source.open()


def test_a_register_that_is_not_there_is_unavailable(tmp_path) -> None:
    source = SqlStoreSource(
        "register", {"url": f"sqlite:///{tmp_path / 'gone.db'}", "tables": tables_option()}
    )
    with pytest.raises(SourceUnavailable):
        source.open()
    assert not (tmp_path / "gone.db").exists()
