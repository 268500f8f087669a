"""The KPI page over HTTP as the browser's renderer calls it: the page drawn by the router from
its URL (cards by section, a KPI's drill-down level by level, the records at the bottom), a
card filled in by its own request, a bar clicked and a custom range written to the URL, the
exports audited, and every tampered URL or request answered with a message or a 403, never a
trace. A department head sees their own department only and starts at its grid cells."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from apps import build_app
from kpi_page_calls import OTHER, OWN, _answer, _card, _links, _open_case, _page, _post, _text, _walk, use_app
from signin import signed_in

from components import kpi_format
from security import audit
from security.audit import AuditFilter


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


@pytest.fixture(autouse=True)
def _app_for_post(app):
    use_app(app)


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
