"""The KPI page over HTTP as the browser's renderer calls it: the page drawn by the router from
its URL (cards by section, a KPI's drill-down level by level, the records at the bottom), a
card filled in by its own request, a bar clicked and a custom range written to the URL, the
exports audited, and every tampered URL or request answered with a message or a 403, never a
trace. A department head sees their own department only and starts at its grid cells."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from apps import build_app
from dash_calls import call, callback_key_named, router_page
from signin import signed_in
from sqlalchemy import select

from components import kpi_format
from security import audit
from security.audit import AuditFilter
from store.models import Case

OWN = "urban_management"  # the demo department head's department
OTHER = "ecology_environment"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("kpi-page"), demo_cases=600)


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


def _page(session, search: str = "", lang: str = "en"):
    return router_page(session, "/kpis", search, lang)


def _text(tree) -> str:
    return json.dumps(tree, ensure_ascii=False)


def _links(tree) -> list[str]:
    """Every href in the tree."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("href"), str):
                found.append(node["href"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    return found


def _post(session, name: str, values: dict, triggered: str):
    client, csrf = session
    return call(client, csrf, _post.app, callback_key_named(_post.app, name), {"shell-lang.value": "en", **values},
                triggered)  # fmt: skip


@pytest.fixture(autouse=True)
def _app_for_post(app):
    _post.app = app  # type: ignore[attr-defined]


def _answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _card(session, kpi: str, state: dict, lang: str = "en"):
    """One card's request as the renderer sends it for the slot of `kpi`."""
    client, csrf = session
    slot = {"kpi": kpi, "type": "kpis-slot"}
    body = {
        "output": callback_key_named(_post.app, "on_kpi_card"),
        "outputs": {"id": slot, "property": "children"},
        "inputs": [{"id": slot, "property": "id", "value": slot}],
        "state": [
            {"id": "kpis-state", "property": "data", "value": state},
            {"id": "shell-lang", "property": "value", "value": lang},
        ],  # fmt: skip
        "changedPropIds": [],
    }
    return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})


def _open_case(engine, department: str = OWN) -> tuple[str, str, str]:
    """(department, grid cell, case type) of an open case in the store."""
    with engine.connect() as c:
        return tuple(
            c.execute(
                select(Case.department, Case.grid_cell, Case.case_type)
                .where(
                    Case.status.not_in(["closed", "rejected"]),
                    Case.department == department,
                    Case.grid_cell.is_not(None),
                )  # fmt: skip
                .limit(1)
            ).one()
        )


# ---- how a figure is written -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "format_", "text"),
    [(0.9512, "percent", "95.1%"), (12.345, "hours", "12.3"), (0.25, "minutes", "15.0"),
     (4.46, "decimal1", "4.5"), (1234567, "integer", "1,234,567"), (None, "integer", "—")],
)  # fmt: skip
def test_a_value_is_written_by_its_format(value, format_, text):
    assert kpi_format.number(value, format_) == text


def test_the_change_is_coloured_by_the_better_direction():
    assert kpi_format.change(110, 100, "up") == ("▲ 10.0%", "good")
    assert kpi_format.change(110, 100, "down") == ("▲ 10.0%", "bad")
    assert kpi_format.change(90, 100, "down") == ("▼ 10.0%", "good")
    assert kpi_format.change(5, 0, "up") is None and kpi_format.change(None, 3, "up") is None


# ---- the cards ---------------------------------------------------------------------------------


def test_the_cards_are_grouped_by_section_and_fill_in_one_by_one(leader):
    page = _page(leader, "")
    text = _text(page)
    for section in ("Cases", "Alerts", "Sensors", "Economy"):
        assert f'"{section}"' in text
    assert '"kpi": "open_cases"' in text and '"kpi": "sensor_online_rate"' in text
    assert '"kpi": "cases_today"' not in text  # page: false, the Overview's twin of cases_30d
    card = _text(_answer(_card(leader, "on_time_closure_30d", {"range": "month"})))
    assert "Closed on time" in card and "Target ≥ 95.0%" in card
    assert "vs previous period" in card and "vs a year earlier" in card
    assert "Computed at " in card and "os-rag-edge-" in card
    assert "/kpis?kpi=on_time_closure_30d&range=month" in card
    assert '"displayModeBar": false' in card  # the sparkline, static
    assert any(w in card for w in ("On target", "Watch", "Off target"))  # a word, not colour alone


def test_a_card_in_chinese_and_a_state_now_says_the_range_does_not_apply(leader):
    card = _text(_answer(_card(leader, "open_cases", {"range": "week"}, lang="zh")))
    assert "未办结" in card or "案件" in card
    assert "当前状态" in card and "计算于" in card
    assert "vs previous period" not in card


def test_a_tampered_card_request_is_answered_with_a_message(leader):
    card = _text(_answer(_card(leader, "<script>", {"range": "month"})))
    assert "There is no such KPI" in card
    card = _text(_answer(_card(leader, "open_cases", {"range": "custom", "since": "2026-13-01"})))
    assert "This range cannot be read" in card
    ancient = {"range": "custom", "since": "0001-01-01", "until": "0001-01-05"}
    card = _text(_answer(_card(leader, "cases_30d", ancient)))
    assert "This range cannot be read" in card and "starts before 1900-01-01" in card


# ---- the drill-down ----------------------------------------------------------------------------


def test_a_kpi_opens_at_its_departments_largest_first_each_a_link_on(leader):
    page = _page(leader, "?kpi=open_cases&range=month")
    text = _text(page)
    assert "All KPIs" in text and "By department" in text and "kpis-split" in text
    figure = next(n for n in _walk(page) if isinstance(n, dict) and n.get("id") == "kpis-split")["figure"]
    bar = figure["data"][0]
    assert bar["orientation"] == "h"
    values = bar["x"]
    assert list(values) == sorted(values)  # plotly draws the first at the bottom: the largest on top
    links = [h for h in _links(page) if "department=" in h]
    assert links and all(h.startswith("/kpis?kpi=open_cases&range=month&department=") for h in links)
    assert "/cases?status=" in text  # the records at this level


def _walk(tree):
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _walk(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _walk(item)


def test_a_bar_clicked_drills_on_in_the_url(leader):
    state = {"kpi": "open_cases", "range": "quarter", "filters": {}}
    answer = _answer(_post(leader, "on_kpi_bar", {"kpis-split.clickData": {"points": [{"customdata": OWN}]},
                                                  "kpis-state.data": state}, "kpis-split.clickData"))  # fmt: skip
    assert answer["kpis-url"]["search"] == f"?kpi=open_cases&range=quarter&department={OWN}"
    for junk in ({"points": []}, "x", {"points": [{"customdata": 5}]}):
        response = _post(leader, "on_kpi_bar", {"kpis-split.clickData": junk, "kpis-state.data": state},
                         "kpis-split.clickData")  # fmt: skip
        assert response.status_code == 204 or "kpis-url" not in _answer(response)  # nothing changes


def test_each_level_down_to_the_records_and_back(leader, engine):
    department, cell, kind = _open_case(engine)
    page = _page(leader, f"?kpi=open_cases&department={department}")
    assert "By grid cell" in _text(page)
    page = _page(leader, f"?kpi=open_cases&department={department}&grid_cell={cell}")
    assert "By case type" in _text(page)
    page = _page(leader, f"?kpi=open_cases&department={department}&grid_cell={cell}&case_type={kind}")
    text = _text(page)
    assert "The records" in text and "Open these records" in text
    links = _links(page)
    # a way back at every level: the catalogue, the KPI, the department, the grid cell
    assert "/kpis?range=month" in links
    assert "/kpis?kpi=open_cases&range=month" in links
    assert f"/kpis?kpi=open_cases&range=month&department={department}" in links
    assert f"/kpis?kpi=open_cases&range=month&department={department}&grid_cell={cell}" in links
    records = next(h for h in links if h.startswith("/cases?") and "case=" not in h)
    query = parse_qs(urlparse(records).query)
    assert (
        query["department"] == [department] and query["grid_cell"] == [cell] and query["case_type"] == [kind]
    )
    assert "closed" not in query["status"][0] and "reported" in query["status"][0]
    one = [h for h in links if "case=" in h]
    assert one and all(f"grid_cell={cell}" in h for h in one)  # one case, opened beside its list


def test_a_windowed_kpi_hands_its_days_to_the_cases_page(leader):
    page = _page(leader, "?kpi=cases_30d&range=custom&since=2026-11-01&until=2026-11-30")
    records = next(h for h in _links(page) if h.startswith("/cases"))
    assert "since=2026-11-01" in records and "until=2026-11-30" in records


@pytest.mark.parametrize(
    ("search", "words"),
    [
        ("?kpi=no_such_kpi", "There is no such KPI"),
        ("?kpi=%3Cscript%3E", "There is no such KPI"),
        ("?range=decade", "This range cannot be read"),
        ("?range=custom&since=2026-05-10&until=2026-05-01", "before the first"),
        ("?range=custom&since=yesterday&until=2026-05-01", "is not a day"),
        ("?range=custom&since=2010-01-01&until=2026-01-01", "longer than"),
        ("?kpi=cases_30d&range=custom&since=0001-01-01&until=0001-01-05", "starts before 1900-01-01"),
        ("?kpi=cases_30d&range=last&days=abc", "give 1 to 1099 days"),
        ("?kpi=cases_30d&range=last&days=0", "give 1 to 1099 days"),
        ("?kpi=cases_30d&range=last&days=99999999", "give 1 to 1099 days"),
        ("?kpi=cases_30d&range=last", "give 1 to 1099 days"),
        ("?kpi=open_cases&grid_cell=ZZZ", "This breakdown cannot be shown"),
        ("?kpi=open_cases&colour=red", "does not drill through"),
        ("?kpi=sensors_reporting&department=urban_management", "does not drill through"),
        ("?kpi=open_cases&department=nowhere", "unknown department"),
        ("?department=urban_management", "pick a KPI first"),
    ],
)
def test_a_tampered_url_shows_a_message_never_a_trace(leader, search, words):
    text = _text(_page(leader, search))
    assert words in text and "Traceback" not in text


def test_a_refusal_says_why_in_the_readers_language(leader):
    text = _text(_page(leader, "?range=custom&since=2026-05-10&until=2026-05-01", lang="zh"))
    assert "无法读取此时间范围" in text and "结束日期 2026-05-01 早于开始日期 2026-05-10" in text
    text = _text(_page(leader, "?kpi=open_cases&grid_cell=ZZZ", lang="zh"))
    assert "无法显示此分解" in text and "不存在" in text
    text = _text(_page(leader, "?range=custom&since=0001-01-01&until=0001-01-05", lang="zh"))
    assert "开始日期 0001-01-01 早于 1900-01-01" in text


# ---- a department head ------------------------------------------------------------------------


def test_a_department_head_starts_at_their_grid_cells(head):
    text = _text(_page(head, "?kpi=open_cases"))
    assert "By grid cell" in text and "Urban Management Bureau" in text
    assert "By department" not in text


def test_a_department_head_naming_another_department_is_refused_and_audited(head, engine):
    before = audit.count(engine, AuditFilter(actions=("scope.denied",), actor="dept-head"))
    text = _text(_page(head, f"?kpi=open_cases&department={OTHER}"))
    assert "You can see your own department" in text
    assert audit.count(engine, AuditFilter(actions=("scope.denied",), actor="dept-head")) == before + 1
    state = {"kpi": "open_cases", "range": "month", "filters": {"department": OTHER}}
    response = _post(head, "on_kpi_export", {"kpis-export-csv.n_clicks": 1, "kpis-state.data": state},
                     "kpis-export-csv.n_clicks")  # fmt: skip
    assert response.status_code == 403
    assert audit.count(engine, AuditFilter(actions=("scope.denied",), actor="dept-head")) == before + 2


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
