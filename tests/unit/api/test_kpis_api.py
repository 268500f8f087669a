"""KPIs through the JSON API (issue 11, step 4): the catalogue with current figures and one KPI
with its range, comparisons, series and breakdown — the same figures services.kpi_values gives
for the same question — a department head's scope, bad input answered as JSON errors (404, 400,
403 with an audit row, 422 for what a schema refuses), and both paths in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from api_checks import OTHER, OWN, audited, bearer

from locales import catalogue
from security import tokens
from security.scope import WHOLE_PARK, Scope
from services import kpi_values
from services.kpi_periods import Period


@pytest.fixture(scope="module")
def days(cases):
    """A custom range holding most of the demo park's cases (park-local days)."""
    zone = ZoneInfo("Asia/Shanghai")
    local = cases["reported_at"].dt.tz_convert(zone)
    last = min(local.max().date(), datetime.now(zone).date())
    return max(local.min().date(), last - timedelta(days=365)), last


@pytest.fixture(scope="module")
def own_cell(cases):
    return cases[cases["department"] == OWN]["grid_cell"].mode().iloc[0]


def reading(app, spec_id, scope, p=None, filters=None):
    with app.server.app_context():
        return kpi_values.reading(kpi_values.spec_of(spec_id), scope, p, filters or {})


def split(app, spec_id, scope, p, filters, by):
    with app.server.app_context():
        return kpi_values.split(kpi_values.spec_of(spec_id), scope, p, filters, by)


def period_of(body) -> Period:
    r = body["range"]
    return Period(r["name"], datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]))


def test_the_catalogue_lists_every_kpi_with_names_bands_and_its_current_figure(app, clients):
    body = clients["leader"].get("/api/v1/kpis?lang=en").get_json()
    with app.server.app_context():
        specs = kpi_values.catalogue()
    assert body["department"] is None and body["lang"] == "en"
    assert [k["id"] for k in body["kpis"]] == [s.id for s in specs] and len(specs) >= 20
    zh, en = catalogue("zh"), catalogue("en")
    for spec, kpi in zip(specs, body["kpis"], strict=True):
        assert kpi["name"] == zh[f"kpi.{spec.id}"] and kpi["name_en"] == en[f"kpi.{spec.id}"]
        assert kpi["label"] == kpi["name_en"] and kpi["unit_label"] == en[f"unit.{spec.unit}"]
        assert kpi["measure_name"] == zh.get(f"kpi_measure.{spec.id}")
        assert kpi["measure_name_en"] == en.get(f"kpi_measure.{spec.id}")
        assert (kpi["unit"], kpi["format"], kpi["better"], kpi["group"]) == (
            spec.unit,
            spec.format,
            spec.better,
            spec.group,
        )
        assert (
            kpi["target"] == spec.target and kpi["owner"] == spec.owner and kpi["drill"] == list(spec.drill)
        )
        assert kpi["bands"] == (
            None if spec.bands is None else {"green": spec.bands.green, "amber": spec.bands.amber}
        )
        expected = reading(app, spec.id, WHOLE_PARK)  # the same question: its own window, the park
        assert kpi["value"] == pytest.approx(expected.value), spec.id
        assert kpi["status"] == spec.status(kpi["value"])
        assert kpi["source"] == expected.source and kpi["computed_at"]
    assert any(k["bands"] for k in body["kpis"]) and any(k["status"] for k in body["kpis"])
    assert (
        clients["leader"].get("/api/v1/kpis?lang=zh").get_json()["kpis"][0]["label"]
        == body["kpis"][0]["name"]
    )
    english = clients["leader"].get("/api/v1/kpis/cases_30d", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.get_json()["lang"] == "en" and english.get_json()["label"] == en["kpi.cases_30d"]


def test_a_kpi_over_a_custom_range_equals_kpi_values(app, clients, days):
    first, last = days
    body = clients["leader"].get(f"/api/v1/kpis/cases_30d?range=custom&from={first}&to={last}").get_json()
    p = period_of(body)
    assert p.start.date() == first and body["by"] == "department" and body["filters"] == {}
    expected = reading(app, "cases_30d", WHOLE_PARK, p)
    assert body["value"] == expected.value > 0
    assert (body["previous"], body["last_year"]) == (expected.previous, expected.last_year)
    assert [(datetime.fromisoformat(s["start"]), s["value"]) for s in body["series"]] == list(expected.series)
    assert sum(s["value"] for s in body["series"]) == body["value"]
    groups = split(app, "cases_30d", WHOLE_PARK, p, {}, "department")
    assert [(g["key"], g["value"]) for g in body["breakdown"]] == groups and len(groups) > 1
    assert sum(g["value"] for g in body["breakdown"]) == body["value"]


def test_drill_down_filters_narrow_the_figure_and_move_the_split_down(app, clients, days, own_cell):
    first, last = days
    url = f"/api/v1/kpis/on_time_closure_30d?from={first}&to={last}&department={OWN}&grid_cell={own_cell}"
    body = clients["leader"].get(url).get_json()
    assert body["department"] == OWN and body["filters"] == {"grid_cell": own_cell}
    assert body["by"] == "case_type"  # department and grid cell given: the next level
    p = period_of(body)
    expected = reading(app, "on_time_closure_30d", Scope(OWN), p, {"grid_cell": own_cell})
    assert body["value"] == expected.value and body["status"] == expected.status
    groups = split(app, "on_time_closure_30d", Scope(OWN), p, {"grid_cell": own_cell}, "case_type")
    assert [(g["key"], g["value"]) for g in body["breakdown"]] == groups
    assert all(g["status"] in ("green", "amber", "red") for g in body["breakdown"])
    by_cell = clients["leader"].get(f"/api/v1/kpis/cases_30d?department={OWN}&by=grid_cell").get_json()
    assert by_cell["by"] == "grid_cell"
    kind = body["breakdown"][0]["key"]
    bottom = clients["leader"].get(f"{url}&case_type={kind}").get_json()  # every level filtered: the records
    assert bottom["by"] is None and bottom["breakdown"] == []
    assert bottom["value"] == body["breakdown"][0]["value"]


def test_a_department_head_reads_their_department_by_session_and_token(app, clients, head_token, cases):
    listed = clients["department_head"].get("/api/v1/kpis").get_json()
    assert listed["department"] == OWN
    for kpi in listed["kpis"]:
        assert kpi["value"] == pytest.approx(reading(app, kpi["id"], Scope(OWN)).value), kpi["id"]
    revenue = next(k for k in listed["kpis"] if k["id"] == "revenue_year")
    assert revenue["park_wide"] is True  # enterprises are the park's, the same in every department
    for body in (
        clients["department_head"].get("/api/v1/kpis/cases_30d?range=year").get_json(),
        app.server.test_client()
        .get("/api/v1/kpis/cases_30d?range=year", headers=bearer(head_token))
        .get_json(),
    ):
        assert body["department"] == OWN and body["by"] == "grid_cell"  # their department is the first level
        expected = reading(app, "cases_30d", Scope(OWN), period_of(body))
        assert body["value"] == expected.value
        whole = reading(app, "cases_30d", WHOLE_PARK, period_of(body))
        assert body["value"] <= whole.value
    open_cases = clients["department_head"].get("/api/v1/kpis/open_cases").get_json()
    assert (
        open_cases["by"] == "grid_cell"
        and open_cases["value"] == reading(app, "open_cases", Scope(OWN)).value
    )
    own_cells = set(cases[cases["department"] == OWN]["grid_cell"])
    assert {g["key"] for g in open_cases["breakdown"]} <= own_cells


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "range=custom&from=2026-11-05&to=2026-11-01",
            "the last day 2026-11-01 is before the first 2026-11-05",
        ),
        ("from=2026-11-05&to=2026-11-01", "is before the first"),
        ("range=custom&from=2000-01-01&to=2026-11-01", "longer than"),
        ("range=custom&from=2999-01-01&to=2999-01-02", "starts after today"),
        ("from=0001-01-01&to=0001-01-03", "starts before 1900-01-01"),
        ("range=custom&from=2026-11-01", "needs both a first and a last day"),
        ("range=custom", "needs both a first and a last day"),
        ("range=week&from=2026-11-01&to=2026-11-02", "from and to go with range=custom"),
        ("severity=critical", "cases_30d does not drill through 'severity'"),
        ("by=rule", "cases_30d does not drill through 'rule'"),
        ("grid_cell=no_such_cell", "grid_cell 'no_such_cell' does not exist"),
        ("case_type=no_such_type", "case_type 'no_such_type' does not exist"),
        ("department=no_such_department", "unknown department 'no_such_department'"),
    ],
)
def test_bad_ranges_and_filters_are_400_with_a_message(clients, query, message):
    response = clients["leader"].get(f"/api/v1/kpis/cases_30d?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "bad request" and message in body["message"]
    assert "value" not in body and "Traceback" not in response.get_data(as_text=True)


def test_a_filter_value_of_another_kpis_contract_is_refused(clients):
    # severity exists for alerts; a value the park's alerts do not have is refused there too
    response = clients["leader"].get("/api/v1/kpis/alerts_30d?severity=apocalyptic")
    assert response.status_code == 400
    assert response.get_json()["message"] == "severity 'apocalyptic' does not exist"


@pytest.mark.parametrize("kpi_id", ["no_such_kpi", "x" * 300, "cases_30d%00"])
def test_an_unknown_kpi_is_404(clients, kpi_id):
    response = clients["leader"].get(f"/api/v1/kpis/{kpi_id}")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not found" and body["message"].startswith("no KPI ")
    assert len(body["message"]) < 100  # the id is cut in the message


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("range=decade", "range"),
        ("from=yesterday&to=2026-11-01", "from"),
        ("lang=fr", "lang"),
        ("no_such_parameter=1", "no_such_parameter"),
        ("grid_cell=" + "g" * 65, "grid_cell"),
        ("grid_cell=a&grid_cell=b", "grid_cell"),
    ],
)
def test_what_the_schema_refuses_is_422_naming_the_parameter(clients, query, parameter):
    response = clients["leader"].get(f"/api/v1/kpis/cases_30d?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert parameter in body["errors"]["query"] and body["message"].startswith("invalid parameters:")


@pytest.mark.parametrize("path", ["/api/v1/kpis/cases_30d", "/api/v1/kpis/revenue_year"])
def test_a_department_head_naming_another_department_is_403_and_audited(
    app, clients, engine, head_token, path
):
    before = len(audited(engine, "scope.denied", "dept-head"))
    response = clients["department_head"].get(f"{path}?department={OTHER}&range=week")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    rows = audited(engine, "scope.denied", "dept-head")
    assert len(rows) == before + 1
    assert rows.iloc[0]["target"] == path and rows.iloc[0]["detail"] == {"requested": OTHER, "own": OWN}
    token_before = len(audited(engine, "scope.denied", "token:portal-dept"))
    by_token = app.server.test_client().get(f"{path}?department={OTHER}", headers=bearer(head_token))
    assert by_token.status_code == 403
    assert len(audited(engine, "scope.denied", "token:portal-dept")) == token_before + 1


def test_the_same_access_control_as_the_rest_of_the_api(app, engine, leader_token):
    client = app.server.test_client()
    anonymous = client.get("/api/v1/kpis/cases_30d")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/kpis/cases_30d", headers=bearer(leader_token)).status_code == 200
    viewer, _ = tokens.issue(engine, "kpi-wall", "viewer", actor="admin")
    assert client.get("/api/v1/kpis/cases_30d?range=today", headers=bearer(viewer)).status_code == 200
    reporter, _ = tokens.issue(engine, "kpi-citizen-app", "reporter", actor="admin")
    for path in ("/api/v1/kpis", "/api/v1/kpis/cases_30d"):
        refused = client.get(path, headers=bearer(reporter))
        assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"


def test_the_openapi_document_lists_both_paths_and_their_parameters(clients):
    spec = clients["viewer"].get("/api/v1/openapi.json").get_json()
    listed = {p["name"] for p in spec["paths"]["/api/v1/kpis"]["get"]["parameters"]}
    assert {"department", "lang"} <= listed
    one = spec["paths"]["/api/v1/kpis/{kpi_id}"]
    parameters = {p["name"]: p for p in one["get"]["parameters"] + one.get("parameters", [])}
    assert {"kpi_id", "range", "from", "to", "department", "grid_cell", "case_type", "by", "lang"} <= set(
        parameters
    )
    assert {"severity", "rule", "chain_link", "industry_code"} <= set(
        parameters
    )  # the catalogue's other drill fields
    assert parameters["range"]["schema"]["enum"] == ["today", "week", "month", "quarter", "year", "custom"]
    assert parameters["from"]["schema"]["format"] == "date"
    assert {"200", "400", "401", "403", "404", "422"} <= set(one["get"]["responses"])
    body = spec["components"]["schemas"]["KpiDetail"]["properties"]
    assert {"value", "target", "status", "previous", "last_year", "series", "breakdown"} <= set(body)
