"""Upserts of enterprises, their figures and chain links by their contract keys
(store/contract_upsert.py) on the real PostgreSQL, as a data-sharing sync writes them: new keys
inserted, known ones updated in place, only the columns sent written, and counted apart."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from data_sources.contracts import CONTRACTS
from store.contract_upsert import upsert_rows
from store.engine import begin_write, make_engine
from store.migrate import upgrade
from store.models import CONTRACT_TABLES, Enterprise, EnterpriseFigure

pytestmark = pytest.mark.integration


def test_rows_are_inserted_then_updated_in_place_by_their_keys(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    enterprises = CONTRACT_TABLES["enterprises"]
    figures = CONTRACT_TABLES["enterprise_figures"]
    first = pd.DataFrame(
        {"id": ["E1", "E2"], "name": ["甲", "乙"], "industry_code": ["3841", "2710"], "lon": [120.5, 120.6]}
    )
    with begin_write(engine) as connection:
        assert upsert_rows(connection, enterprises, first, CONTRACTS["enterprises"].key) == (2, 0)
        years = pd.DataFrame({"enterprise_id": ["E1", "E1"], "year": [2023, 2024], "revenue": [10.5, 12.0]})
        assert upsert_rows(connection, figures, years, CONTRACTS["enterprise_figures"].key) == (2, 0)
    # a second source sends names without places: the places stay
    second = pd.DataFrame({"id": ["E2", "E3"], "name": ["乙改", "丙"], "industry_code": ["2710", "2720"]})
    with begin_write(engine) as connection:
        assert upsert_rows(connection, enterprises, second, CONTRACTS["enterprises"].key) == (1, 1)
        again = pd.DataFrame({"enterprise_id": ["E1"], "year": [2024], "revenue": [13.0]})
        assert upsert_rows(connection, figures, again, CONTRACTS["enterprise_figures"].key) == (0, 1)
    with engine.connect() as connection:
        stored = connection.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.lon).order_by(Enterprise.id)
        ).all()
        revenue = dict(connection.execute(select(EnterpriseFigure.year, EnterpriseFigure.revenue)).all())
    assert [tuple(row) for row in stored] == [("E1", "甲", 120.5), ("E2", "乙改", 120.6), ("E3", "丙", None)]
    assert revenue == {2023: 10.5, 2024: 13.0}
    engine.dispose()


def test_a_frame_without_its_key_is_refused(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    with begin_write(engine) as connection, pytest.raises(ValueError, match="key column 'year'"):
        upsert_rows(
            connection,
            CONTRACT_TABLES["enterprise_figures"],
            pd.DataFrame({"enterprise_id": ["E1"]}),
            CONTRACTS["enterprise_figures"].key,
        )
    engine.dispose()
