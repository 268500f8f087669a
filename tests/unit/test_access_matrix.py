"""The role-by-route matrix: every page, Dash callback and API route, requested anonymously and
as each role's demo user, answers as this one table says. A new page, callback or API route
that is not in the table fails test_the_matrix_covers_every_route, so the table stays whole.

302 = sent to the sign-in page, 401 = refused for want of a sign-in, 403 = refused for the
role (audited), 400 = a department id that is none (a list, an unknown id), 200 = answered,
201 = a service request filed. A "stream" row opens a live event stream and hangs up at once.
"reporter" is a citizen app's API token (the role exists for tokens
only): it reads the Open311 service list, reports and reads back its own reports, nothing
else; on screens it is nobody.
"dept" is a department head of urban_management; a row whose
name ends in "other dept" asks for ecology_environment's data (a tampered URL or callback)."""

from __future__ import annotations

import pytest
from apps import build_app
from dash_calls import call, output_named
from signin import DEMO, sign_in

from security import audit, tokens
from security.audit import AuditFilter

ROLES = ["anonymous", "viewer", "department_head", "duty_officer", "leader", "admin", "reporter"]

MATRIX = """
kind      name                               anon viewer dept duty leader admin  reporter
page      /                                  302  200    200  200  200    200    302
page      /sources                           302  403    403  200  200    200    302
page      /cases                             302  403    200  200  200    403    302
page      /alerts                            302  403    200  200  200    403    302
page      /kpis                              302  403    200  200  200    403    302
page      /map                               302  200    200  200  200    200    302
page      /chains                            302  200    200  200  200    200    302
page      /enterprise                        302  200    200  200  200    200    302
page      /policies                          302  200    200  200  200    200    302
page      /wall/overview-hd                  302  200    200  200  200    200    302
page      /wall/none                         302  200    200  200  200    200    302
page      /admin/screens                     302  403    403  403  403    200    302
page      /admin/audit                       302  403    403  403  403    200    302
page      /admin/access                      302  403    403  403  403    200    302
page      /admin/embeds                      302  403    403  403  403    200    302
page      /no/such/page                      302  404    404  404  404    404    302
dash      /_dash-layout                      401  200    200  200  200    200    401
dash      /_dash-dependencies                401  200    200  200  200    200    401
router    /                                  401  200    200  200  200    200    401
router    /sources                           401  403    403  200  200    200    401
router    /cases                             401  403    200  200  200    403    401
router    /alerts                            401  403    200  200  200    403    401
router    /alerts?department=ecology_environment 401 403 403  200  200    403    401
router    /kpis                              401  403    200  200  200    403    401
router    /kpis?kpi=open_cases               401  403    200  200  200    403    401
router    /map                               401  200    200  200  200    200    401
router    /chains?link=bio.tcm               401  200    200  200  200    200    401
router    /enterprise?id=ENT0001             401  200    200  200  200    200    401
router    /enterprise?q=91130171             401  200    200  200  200    200    401
router    /policies                          401  200    200  200  200    200    401
router    /policies?policy=hnte_small&status=nearly 401 200 200 200 200   200    401
router    /admin/audit                       401  403    403  403  403    200    401
router    /admin/access                      401  403    403  403  403    200    401
router    /admin/embeds                      401  403    403  403  403    200    401
router    /wall/overview-hd                  401  200    200  200  200    200    401
router    /wall/none                         401  200    200  200  200    200    401
router    /admin/screens                     401  403    403  403  403    200    401
router    /?department=ecology_environment   401  200    403  200  200    200    401
router    /?department=a&department=b        401  400    403  400  400    400    401
callback  shell-nav                          401  200    200  200  200    200    401
callback  shell-freshness                    401  200    200  200  200    200    401
callback  overview-body                      401  200    200  200  200    200    401
callback  overview-body other dept           401  200    403  200  200    200    401
callback  overview-body list dept            401  400    403  400  400    400    401
callback  overview-body unknown dept         401  400    403  400  400    400    401
callback  overview-export                    401  403    200  403  200    403    401
callback  overview-live-cards                401  200    200  200  200    200    401
callback  overview-live-cards other dept     401  200    403  200  200    200    401
callback  overview-ticker                    401  403    200  200  200    403    401
callback  alerts-filter                      401  403    200  200  200    403    401
callback  alerts-filter other dept           401  403    403  200  200    403    401
callback  alerts-list                        401  403    200  200  200    403    401
callback  alerts-panel                       401  403    200  200  200    403    401
callback  alerts-step open                   401  403    200  200  403    403    401
callback  alerts-step confirm                401  403    200  200  403    403    401
callback  kpis-card                          401  403    200  200  200    403    401
callback  kpis-bar                           401  403    200  200  200    403    401
callback  kpis-custom                        401  403    200  200  200    403    401
callback  kpis-day                           401  403    200  200  200    403    401
callback  kpis-export                        401  403    200  403  200    403    401
callback  kpis-export other dept             401  403    403  403  200    403    401
callback  sources-body.children              401  403    403  200  200    200    401
callback  sources-check                      401  403    403  403  403    200    401
callback  cases-filter                       401  403    200  200  200    403    401
callback  cases-grid                         401  403    200  200  200    403    401
callback  cases-select                       401  403    200  200  200    403    401
callback  cases-export                       401  403    200  403  200    403    401
callback  cases-panel                        401  403    200  200  200    403    401
callback  cases-panel other dept             401  403    200  200  200    403    401
callback  cases-step open                    401  403    200  200  403    403    401
callback  cases-step confirm                 401  403    200  200  403    403    401
callback  audit-grid                         401  403    403  403  403    200    401
callback  policies-export                    401  403    200  403  200    403    401
callback  map-layer-states                   401  200    200  200  200    200    401
callback  map-view                           401  200    200  200  200    200    401
callback  map-side                           401  200    200  200  200    200    401
callback  map-side-close                     401  200    200  200  200    200    401
callback  map-search                         401  200    200  200  200    200    401
callback  map-hit                            401  200    200  200  200    200    401
callback  enterprise-results                 401  200    200  200  200    200    401
callback  chains-theme                       401  200    200  200  200    200    401
callback  chains-tap                         401  200    200  200  200    200    401
callback  chains-refresh                     401  200    200  200  200    200    401
callback  wall-refresh                       401  200    200  200  200    200    401
callback  wall-map-detail                    401  200    200  200  200    200    401
callback  wall-map-layers                    401  200    200  200  200    200    401
callback  wall-alert-queue                   401  403    200  200  200    403    401
callback  wall-alert-takeover                401  403    200  200  200    403    401
callback  screens-size                       401  403    403  403  403    200    401
callback  screens-preview                    401  403    403  403  403    200    401
callback  audit-download                     401  403    403  403  403    200    401
callback  access-users create                401  403    403  403  403    200    401
callback  access-users select                401  403    403  403  403    200    401
callback  access-users action                401  403    403  403  403    200    401
callback  access-tokens issue                401  403    403  403  403    200    401
callback  access-tokens revoke               401  403    403  403  403    200    401
callback  embeds issue                       401  403    403  403  403    200    401
callback  embeds revoke                      401  403    403  403  403    200    401
api       /api/v1/me                         401  200    200  200  200    200    200
api       /api/v1/kpis                       401  200    200  200  200    200    403
api       /api/v1/kpis other dept            401  200    403  200  200    200    403
api       /api/v1/departments                401  200    200  200  200    200    403
api       /api/v1/map/search                 401  422    422  422  422    422    403
api       /api/v1/chains                     401  200    200  200  200    200    403
api       /api/v1/enterprises                401  200    200  200  200    200    403
api       /api/v1/enterprises/ENT0001        401  200    200  200  200    200    403
api       /api/v1/policies                   401  200    200  200  200    200    403
api       /api/v1/policies/hnte_small/enterprises 401 200 200 200 200   200    403
api       /api/v1/chain-targets              401  200    200  200  200    200    403
api       /api/v1/map/layers                 401  200    200  200  200    200    403
api       /api/v1/map/layers other dept      401  200    403  200  200    200    403
api       /api/v1/cases                      401  403    200  200  200    403    403
api       /api/v1/cases other dept           401  403    403  200  200    403    403
api       /api/v1/cases/hotspots             401  403    200  200  200    403    403
api       /api/v1/cases/hotspots other dept  401  403    403  200  200    403    403
api       /api/v1/cases/export.csv           401  403    200  403  200    403    403
api       /api/v1/cases/export.csv other dept 401 403    403  403  200    403    403
api       /api/v1/cases/export.xlsx          401  403    200  403  200    403    403
api       /api/v1/cases/export.xlsx other dept 401 403   403  403  200    403    403
api       /api/v1/alerts                     401  403    200  200  200    403    403
api       /api/v1/alerts other dept          401  403    403  200  200    403    403
api       /api/v1/alerts/A-19990101-00001    401  403    404  404  404    403    403
api       /api/v1/audit                      401  403    403  403  403    200    403
api       /api/v1/audit/export.csv           401  403    403  403  403    200    403
api       /open311/v2/services.json          401  200    200  200  200    200    200
api       /open311/v2/requests.json          401  403    200  200  200    403    200
post      /open311/v2/requests.json          401  403    403  403  403    403    201
stream    /live/alerts                       401  403    200  200  200    403    401
stream    /live/no-such-stream               401  403    403  403  403    403    401
"""

OTHER = "ecology_environment"
# What each callback row sends: "id.property" → value (the callback map gives the rest).
CALLBACKS = {
    "shell-nav": ("shell-nav.children", {"shell-lang.value": "zh", "shell-url.pathname": "/"}),
    "shell-freshness": ("shell-freshness.children", {"shell-lang.value": "zh", "shell-freshness-tick.n_intervals": 1}),
    "overview-body": ("overview-body.children", {"overview-tick.n_intervals": 1, "overview-scope.value": "*"}),
    "overview-body other dept": ("overview-body.children", {"overview-tick.n_intervals": 1, "overview-scope.value": OTHER}),
    "overview-body list dept": ("overview-body.children", {"overview-tick.n_intervals": 1, "overview-scope.value": [OTHER, "urban_management"]}),
    "overview-body unknown dept": ("overview-body.children", {"overview-tick.n_intervals": 1, "overview-scope.value": "atlantis"}),
    "overview-export": ("overview-export.href", {"overview-scope.value": "urban_management"}),
    "overview-live-cards": ("overview-live-cards.children", {"overview-live.data": 1, "overview-scope.value": "*", "shell-lang.value": "zh"}),
    "overview-live-cards other dept": ("overview-live-cards.children", {"overview-live.data": 1, "overview-scope.value": OTHER, "shell-lang.value": "zh"}),
    "overview-ticker": ("overview-ticker.children", {"overview-live.data": 1, "overview-scope.value": "*", "shell-lang.value": "zh"}),
    "alerts-filter": ("alerts-filter.data", {"alerts-f-state.value": ["raised"], "shell-lang.value": "zh"}),
    "alerts-filter other dept": ("alerts-filter.data", {"alerts-f-department.value": OTHER, "shell-lang.value": "zh"}),
    "alerts-list": ("alerts-list.children", {"alerts-filter.data": {}, "shell-lang.value": "zh"}),
    "alerts-panel": ("alerts-panel.children", {"alerts-selected.data": None, "shell-lang.value": "zh"}),
    "alerts-step open": ("alerts-step-title.children", {'{"action":["ALL"],"type":"alerts-action"}.n_clicks': []}),
    "alerts-step confirm": ("alerts-changed.data", {"alerts-step-confirm.n_clicks": None}),
    "kpis-card": ('{"kpi":["MATCH"],"type":"kpis-slot"}.children', {'{"kpi":["MATCH"],"type":"kpis-slot"}.id': {"kpi": "open_cases", "type": "kpis-slot"}, "kpis-state.data": {"range": "month"}, "shell-lang.value": "zh"}),
    "kpis-bar": ("kpis-url.search", {"kpis-split.clickData": {"points": [{"customdata": "urban_management"}]}, "kpis-state.data": {"kpi": "open_cases", "range": "month", "filters": {}}}),
    "kpis-custom": ("kpis-url.search@", {"kpis-apply.n_clicks": 1, "kpis-days.start_date": "2026-11-01", "kpis-days.end_date": "2026-11-02", "kpis-state.data": {"range": "month"}, "shell-lang.value": "zh"}),
    "kpis-day": ("kpis-day.data", {"kpis-day-tick.n_intervals": 1, "kpis-day.data": "2000-01-01"}),
    "kpis-export": ("kpis-download.data", {"kpis-export-csv.n_clicks": 1, "kpis-state.data": {"kpi": "open_cases", "range": "month", "filters": {}}, "shell-lang.value": "zh"}),
    # a department head's export naming another department: 403 and an audit row (the page
    # drawn from such a URL says so in words instead: tests/unit/test_kpi_page.py)
    "kpis-export other dept": ("kpis-download.data", {"kpis-export-csv.n_clicks": 1, "kpis-state.data": {"kpi": "open_cases", "range": "month", "filters": {"department": OTHER}}, "shell-lang.value": "zh"}),
    "sources-body.children": ("sources-body.children", {"sources-tick.n_intervals": 1}),
    "sources-check": (
        "sources-notice.children",
        {'{"source":["ALL"],"type":"sources-check"}.n_clicks': [
            {"id": {"source": "park-store", "type": "sources-check"}, "property": "n_clicks", "value": 1}
        ]},
    ),
    "cases-filter": ("cases-filter.data", {"shell-lang.value": "zh", "cases-f-status.value": ["reported"]}),
    "cases-grid": ("cases-grid.getRowsResponse", {"cases-grid.getRowsRequest": {"startRow": 0, "endRow": 100}, "shell-lang.value": "zh"}),
    "cases-select": ("cases-selected.data", {"cases-grid.cellClicked": {"rowId": "2026120100001"}}),
    "cases-export": ("cases-export.href", {"cases-filter.data": {"status": "reported"}}),
    "cases-panel": ("cases-panel.children", {"cases-selected.data": None, "shell-lang.value": "zh"}),
    # another department's case reads as missing for a department head (audited), not refused
    "cases-panel other dept": ("cases-panel.children", {"cases-selected.data": "OTHER-DEPT-CASE", "shell-lang.value": "zh"}),
    "cases-step open": ("cases-step-title.children", {'{"action":["ALL"],"type":"cases-action"}.n_clicks': []}),
    "cases-step confirm": ("cases-changed.data", {"cases-step-confirm.n_clicks": None}),
    "audit-grid": ("audit-grid.rowData", {"shell-lang.value": "zh"}),
    "policies-export": ("policies-download.data", {"policies-export-csv.n_clicks": 1, "policies-state.data": {"policy": "hnte_small"}, "shell-lang.value": "zh"}),
    "map-layer-states": ("map-layer-states.children", {"map-view.data": {"range": "7d"}, "map-shown.value": ["grid_cells", "sensors"], "shell-lang.value": "zh"}),
    "map-view": ("map-view.data", {"map-range.value": "30d", "map-view.data": {"range": "7d"}}),
    "map-side": ("map-side.children", {"shell-lang.value": "zh"}),
    "map-side-close": ("map-page.className@", {"map-side-close.n_clicks": 1}),
    "map-search": ("map-hit-data.data", {"map-query.value": "U288", "shell-lang.value": "zh"}),
    "map-hit": ("map-leaflet.viewport", {}),
    "chains-theme": ("chains-graph.stylesheet", {"shell-theme.value": "desk"}),
    "chains-tap": ("chains-nav.href", {"chains-graph.tapNodeData": {"id": "bio.tcm"}, "chains-state.data": {}}),
    "chains-refresh": ("chains-body.children", {"chains-tick.n_intervals": 1, "chains-stamp.data": "old", "chains-state.data": {"chain": "biomedicine"}, "shell-lang.value": "zh", "shell-theme.value": "wall"}),
    "wall-map-detail": ("panel-map-detail.children", {"shell-lang.value": "zh"}),
    "wall-map-layers": ('"type":"panel-map-layer"}.url', {"panel-tick.n_intervals": 1, "shell-lang.value": "zh"}),
    "wall-alert-queue": ("..wall-alert-queue.data...wall-alert-tick.disabled..", {"live-alerts.data": {"seq": 0, "items": []}, "wall-alert-tick.n_intervals": 1, "wall-alert-queue.data": {"handled": 0, "queue": []}}),
    "wall-alert-takeover": ("..wall-alert-shown.data...wall-alert.children..", {"wall-alert-queue.data": {"handled": 0, "queue": []}, "wall-alert-shown.data": None, "wall-alert-view.data": {"layout": "overview-4k", "view": [0, 0, 1920, 1080]}, "shell-lang.value": "zh"}),
    "wall-refresh": ('"type":"wall-cell"', {'{"cell":["ALL"],"type":"wall-cell"}.id': [], "panel-tick.n_intervals": 1, "wall-layout-name.data": "overview-hd", "shell-lang.value": "zh"}),
    "enterprise-results": ("enterprise-results.children", {"enterprise-query.value": "石家庄", "shell-lang.value": "zh"}),
    "screens-size": ("..screens-width.value...screens-height.value..", {"screens-layout.value": "wall-3x3"}),
    "screens-preview": ("..screens-preview.children...screens-tiles.children..", {"screens-layout.value": "wide-8k", "screens-width.value": 1280, "screens-height.value": 720, "shell-lang.value": "en"}),
    "audit-download": ("audit-download.data", {"audit-export.n_clicks": 1}),
    "access-users create": ("..access-users.rowData...access-notice.children...", {}),
    "access-users select": ("access-selected.children", {}),
    "access-users action": ("access-users.rowData@", {}),
    "access-tokens issue": ("..access-tokens.rowData...", {}),
    "access-tokens revoke": ("access-tokens.rowData@", {}),
    "embeds issue": ("..embeds-notice.children...embeds-list.children", {"embeds-issue.n_clicks": 1}),
    "embeds revoke": ("embeds-notice.children@", {"embeds-revoke.n_clicks": 1}),
}  # fmt: skip


def rows() -> list[tuple[str, str, dict[str, int]]]:
    lines = [line for line in MATRIX.strip().splitlines()[1:] if line.strip()]
    table = []
    for line in lines:
        parts = line.split()
        kind, codes = parts[0], [int(c) for c in parts[-len(ROLES) :]]
        name = " ".join(parts[1 : -len(ROLES)])
        table.append((kind, name, dict(zip(ROLES, codes, strict=True))))
    return table


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("matrix"), demo_cases=400)


@pytest.fixture(scope="module")
def clients(app):
    """One test client per role, signed in once (anonymous: no session)."""
    made = {"anonymous": (app.server.test_client(), None)}
    for role in ROLES[1:-1]:
        client = app.server.test_client()
        made[role] = (client, sign_in(client, DEMO[role]))
    engine = app.server.extensions["onescreen"].engine
    token, _ = tokens.issue(engine, "citizen-app", "reporter", actor="admin")
    reporter = app.server.test_client()
    reporter.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    made["reporter"] = (reporter, None)
    return made


def request(app, client, csrf, kind: str, name: str):
    if kind == "page":
        return client.get(name)
    if kind == "dash":
        return client.get(name)
    if kind == "router":
        path, _, query = name.partition("?")
        values = {"_pages_location.pathname": path, "_pages_location.search": f"?{query}" if query else "",
                  "shell-lang.value": "zh"}  # fmt: skip
        return call(client, csrf, app, output_named(app, "_pages_content"), values)
    if kind == "callback":
        output, values = CALLBACKS[name]
        return call(client, csrf, app, output_named(app, output), values)
    if kind == "post":  # a citizen app's report (services/case_reports.py): an address is a place
        report = {"service_code": "um.manhole_cover_damaged", "address_string": "matrix row"}
        return client.post(name, data=report, headers={"X-CSRFToken": csrf} if csrf else {})
    if kind == "stream":  # an event stream (live/stream.py): the answer's status, then hang up
        response = client.get(name)
        response.close()
        return response
    if kind == "api":
        path = name.removesuffix(" other dept")
        if name.endswith("other dept"):
            path += f"?department={OTHER}"
        return client.get(path)
    raise AssertionError(kind)


@pytest.mark.parametrize(("kind", "name", "expected"), rows(), ids=[f"{k} {n}" for k, n, _ in rows()])
def test_each_role_gets_what_the_matrix_says(app, clients, kind, name, expected):
    got = {role: request(app, *clients[role], kind, name).status_code for role in ROLES}
    assert got == expected


def test_a_refusal_is_audited_with_who_and_what(app, clients):
    client, csrf = clients["department_head"]
    before = audit.count(app.server.extensions["onescreen"].engine, AuditFilter(actions=("scope.denied",)))
    response = request(app, client, csrf, "callback", "overview-body other dept")
    assert response.status_code == 403
    denied = audit.query(app.server.extensions["onescreen"].engine, AuditFilter(actions=("scope.denied",)))
    assert len(denied) == before + 1
    newest = denied.iloc[0]
    assert newest["actor"] == "dept-head" and newest["outcome"] == "denied"
    assert newest["detail"]["requested"] == OTHER and newest["ip"] == "127.0.0.1"


def test_the_matrix_covers_every_route(app):
    """Every server callback, page and API route of the app has a row (so none is forgotten)."""
    import dash

    table = rows()
    pages = {name for kind, name, _ in table if kind == "page"}
    assert {p["path"] for p in dash.page_registry.values() if p["path"] != "/404"} <= pages
    named = {CALLBACKS[name][0] for kind, name, _ in table if kind == "callback"}
    server_callbacks = [
        key for key, entry in app.callback_map.items() if entry.get("callback") and "_pages_" not in key
    ]
    missing = [key for key in server_callbacks if not any(output in key for output in named)]
    assert missing == []
    api_rows = {name.removesuffix(" other dept") for kind, name, _ in table if kind in ("api", "post")}
    rules = {
        rule.rule
        for rule in app.server.url_map.iter_rules()
        if rule.rule.startswith(("/api/", "/open311/"))
        and "<" not in rule.rule
        and "openapi" not in rule.rule
    }
    assert rules <= api_rows, rules - api_rows
    streams = {rule.rule for rule in app.server.url_map.iter_rules() if rule.rule.startswith("/live/")}
    assert streams <= {name for kind, name, _ in table if kind == "stream"}, streams
