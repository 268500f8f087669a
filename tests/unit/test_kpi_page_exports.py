"""The KPI page's exports (CSV and XLSX, audited, refused to those who may not export), a custom
range written to the URL or refused with its reason, and a figure written alike on the Overview's
card, the KPI page and its export."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from apps import build_app
from kpi_page_calls import OWN, _answer, _page, _post, _text, _walk, use_app
from signin import signed_in
from sqlalchemy import select

from components import kpi_format
from security import audit
from security.audit import AuditFilter
from store.models import Case


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("kpi-page-exports"), demo_cases=600)


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="module")
def leader(app):
    return signed_in(app, "leader")


@pytest.fixture(scope="module")
def head(app):
    return signed_in(app, "department_head")


@pytest.fixture(scope="module")
def duty(app):
    return signed_in(app, "duty_officer")


@pytest.fixture(autouse=True)
def _app_for_post(app):
    use_app(app)


# ---- exports ----------------------------------------------------------------------------------


def _download(answer) -> tuple[str, bytes]:
    data = answer["kpis-download"]["data"]
    raw = base64.b64decode(data["content"]) if data.get("base64") else data["content"].encode()
    return data["filename"], raw


def test_a_level_exports_as_csv_and_xlsx_and_is_audited(leader, engine):
    before = audit.count(engine, AuditFilter(actions=("export",), target="kpi:open_cases"))
    state = {"kpi": "open_cases", "range": "month", "filters": {}}
    name, raw = _download(_answer(_post(leader, "on_kpi_export", {"kpis-export-csv.n_clicks": 1, "kpis-state.data": state},
                                        "kpis-export-csv.n_clicks")))  # fmt: skip
    assert name.startswith("kpi-open_cases-department-") and name.endswith(".csv")
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert list(frame.columns) == ["id", "department", "Open cases (cases)"]
    assert OWN in set(frame["id"]) and "Urban Management Bureau" in set(frame["department"])
    assert list(frame.iloc[:, 2]) == sorted(frame.iloc[:, 2], reverse=True)
    name, raw = _download(_answer(_post(leader, "on_kpi_export", {"kpis-export-xlsx.n_clicks": 1, "kpis-state.data": state},
                                        "kpis-export-xlsx.n_clicks")))  # fmt: skip
    assert name.endswith(".xlsx") and raw[:2] == b"PK"
    assert len(pd.read_excel(io.BytesIO(raw))) == len(frame)
    rows = audit.query(engine, AuditFilter(actions=("export",), target="kpi:open_cases"), limit=2)
    assert audit.count(engine, AuditFilter(actions=("export",), target="kpi:open_cases")) == before + 2
    assert set(rows["detail"].map(lambda d: d["format"])) == {"csv", "xlsx"}


def test_whoever_may_not_export_is_refused(duty):
    state = {"kpi": "open_cases", "range": "month", "filters": {}}
    response = _post(duty, "on_kpi_export", {"kpis-export-csv.n_clicks": 1, "kpis-state.data": state},
                     "kpis-export-csv.n_clicks")  # fmt: skip
    assert response.status_code == 403
    assert "kpis-export-csv" not in _text(_page(duty, "?kpi=open_cases"))


# ---- the custom range -------------------------------------------------------------------------


def test_a_custom_range_is_written_to_the_url_or_refused_with_its_reason(leader):
    state = {"kpi": "cases_30d", "range": "month", "filters": {}}
    today = datetime.now(UTC).date()
    good = {"kpis-apply.n_clicks": 1, "kpis-days.start_date": (today - timedelta(days=9)).isoformat(),
            "kpis-days.end_date": today.isoformat(), "kpis-state.data": state}  # fmt: skip
    answer = _answer(_post(leader, "on_kpi_custom", good, "kpis-apply.n_clicks"))
    assert answer["kpis-url"]["search"] == (
        f"?kpi=cases_30d&range=custom&since={good['kpis-days.start_date']}&until={today.isoformat()}"
    )
    for start, end, words in (
        ("2026-05-10", "2026-05-01", "before the first"),
        (None, "2026-05-01", "needs both"),
        ("garbage", "2026-05-01", "This range cannot be read"),
        ((today + timedelta(days=3)).isoformat(), (today + timedelta(days=4)).isoformat(), "after today"),
    ):
        bad = good | {"kpis-days.start_date": start, "kpis-days.end_date": end}
        answer = _answer(_post(leader, "on_kpi_custom", bad, "kpis-apply.n_clicks"))
        assert "kpis-url" not in answer and words in _text(answer["kpis-notice"]["children"])


# ---- one formatter for the Overview, the KPI page and the export --------------------------------


def _first(tree, class_name: str) -> str:
    """The text of the first component of `class_name` in a Dash tree."""
    found = []

    def walk(node):
        if isinstance(node, (list, tuple)):
            for item in node:
                walk(item)
        elif hasattr(node, "to_plotly_json"):
            if class_name in (getattr(node, "className", None) or "").split() and not found:
                found.append(node.children)
            walk(getattr(node, "children", None))

    walk(tree)
    return found[0]


@pytest.mark.parametrize(("format_", "value", "text", "exported"),
                         [("hours", 0.4, "0.4", 0.4), ("minutes", 0.25, "15.0", 15.0),
                          ("percent", 0.9512, "95.1%", 95.12)])  # fmt: skip
def test_the_overview_card_the_kpi_page_and_the_export_write_a_figure_alike(format_, value, text, exported):
    from zoneinfo import ZoneInfo

    from components.kpi_card import make_kpi_card
    from components.kpi_export import split_frame
    from components.kpi_tiles import kpi_tile
    from domain.kpis import parse_specs
    from services.kpi_cards import KpiFigure
    from services.kpi_values import KpiReading

    zone, now = ZoneInfo("Asia/Shanghai"), datetime.now(UTC)
    raw = {"id": "k", "contract": "cases", "measure": "mean", "field": "satisfaction", "format": format_}
    spec = parse_specs({"kpis": [raw]})[0]
    card = make_kpi_card(KpiFigure(spec, value, "sql", now, False), "en", zone, "SQL", timedelta(minutes=5))
    reading = KpiReading(spec, value, None, None, None, (), now, "sql")
    tile = kpi_tile(reading, "/kpis?kpi=k", "SQL", zone, "en")
    assert _first(card, "os-kpi-number") == _first(tile, "os-kpi-number") == text
    assert _first(card, "os-kpi-unit") == _first(tile, "os-kpi-unit")
    frame = split_frame(spec, "severity", [("critical", value)], "en")
    assert frame.iloc[0, 2] == pytest.approx(exported)


def _first_number(tree) -> str:
    return next(n["props"]["children"] for n in _walk(tree)
                if isinstance(n, dict) and "os-kpi-number" in str(n.get("props", {}).get("className", "")))  # fmt: skip


def test_a_cards_drill_down_opens_on_the_cards_own_figure(app, engine, leader):
    """A "last 30 days" card counts from this moment 30 days ago, not from that day's midnight: a
    case reported in between is on the card, so it must be on the page the card opens."""
    from sqlalchemy import update

    from components.kpi_card import drill_href
    from security.scope import WHOLE_PARK
    from services.kpi_values import reading, spec_of

    now = datetime.now(UTC)
    with engine.begin() as c:
        old = c.execute(
            select(Case.id).where(Case.reported_at < now - timedelta(days=45)).limit(1)
        ).scalar_one()
        c.execute(update(Case).where(Case.id == old).values(reported_at=now - timedelta(days=30, minutes=-2)))
    for kpi in ("cases_30d", "on_time_closure_30d", "satisfaction_30d", "cases_today", "open_cases"):
        with app.server.app_context():
            spec = spec_of(kpi)
            card = kpi_format.number(reading(spec, WHOLE_PARK, None).value, spec.format)
            href = drill_href(spec)
        assert href.startswith("/kpis?kpi=" + kpi), href
        page = _page(leader, href.removeprefix("/kpis"))
        assert _first_number(page) == card, (kpi, href)
        assert ("Last 30 days" in _text(page)) == kpi.endswith("_30d")  # the range in force is named
