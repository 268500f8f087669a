"""On the Sources page, enterprises rejected by the reference checks are listed like every other
rejected row, with their line, key, field and reason, in both languages, while the rest load."""

from __future__ import annotations

import json

import pytest
from apps import build_app

SOURCES = """
sources:
  park-store:
    adapter: sql
    title: {zh: 园区数据底座, en: Park data store}
    serves: [cases, case_events, sensors, readings, alerts, features, enterprise_figures, chains]
    options: {url: "${store_url}"}
  firm-register:
    adapter: csv
    title: {zh: 企业名录, en: Enterprise register}
    serves: [enterprises]
    options: {path: "%s", contract: enterprises}
"""
FIRMS = "id,name,industry_code,chain_link\nE1,甲药业有限公司,2710,bio.api\nE2,乙有限公司,9999,\nE3,丙有限公司,2720,bio.nowhere\n"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference-rejections")
    (folder / "firms.csv").write_text(FIRMS, encoding="utf-8")
    (folder / "sources.yaml").write_text(SOURCES % (folder / "firms.csv"), encoding="utf-8")
    return build_app(folder / "data", demo_cases=50, sources_file=folder / "sources.yaml")


@pytest.mark.parametrize(("lang", "title"), [("zh", "企业名录"), ("en", "Enterprise register")])
def test_rejected_enterprises_are_on_the_sources_page_with_their_reasons(app, lang, title) -> None:
    from flask_login import login_user

    from pages import sources as page
    from security.users import find, principal_of
    from services.context import get_services
    from services.data import snapshot

    with app.server.test_request_context("/"):
        leader = find(get_services().engine, "leader")
        assert leader is not None  # seeded with the demo park
        login_user(principal_of(leader))
        firms = snapshot("enterprises").frame
        body = json.dumps(page.make_body(lang), default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    assert list(firms["id"]) == ["E1"]
    for key, field, reason in (
        ("E2", "industry_code", "not a four-digit class of GB/T 4754-2017"),
        ("E3", "chain_link", "names no link of the industry chains"),
    ):
        cells = [title, key, field]
        assert all(json.dumps(cell, ensure_ascii=False) in body for cell in cells), cells
        assert json.dumps(reason) in body
