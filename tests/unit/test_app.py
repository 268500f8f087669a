"""The app in-process on a small demo park, with a sources file that also has a department's
CSV export with broken rows and a GeoJSON layer whose file is gone: every page answers, the
figures are computed from the store, and the Sources page says what is wrong."""

from __future__ import annotations

import json

import pytest
from apps import build_app
from signin import signed_in

BROKEN_CSV = """id,channel,domain,case_type,status,reported_at
C-1,portal,urban_management,road_damage,accepted,2026-11-01T08:00:00+08:00
C-2,portal,urban_management,road_damage,accepted,not a time
C-3,portal,urban_management,road_damage,teleported,2026-11-01T09:00:00+08:00
C-4,portal,"broken
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")
    (folder / "exports").mkdir()
    (folder / "exports" / "cases.csv").write_text(BROKEN_CSV, encoding="utf-8")
    sources = folder / "sources.yaml"
    sources.write_text(
        f"""
sources:
  park-store:
    adapter: sql
    title: {{zh: 园区数据底座, en: Park data store}}
    serves: [cases, case_events, sensors, readings, alerts, features, enterprises, enterprise_figures, chains]
    options: {{url: "${{store_url}}"}}
  hotline-export:
    adapter: csv
    title: {{zh: 热线导出, en: Hotline export}}
    options: {{path: "{folder}/exports/cases.csv", contract: cases}}
  party-layer:
    adapter: geojson
    title: {{zh: 党建图层, en: Party building layer}}
    options: {{path: "{folder}/missing.geojson", layer: party}}
""",
        encoding="utf-8",
    )
    return build_app(folder, demo_cases=800, sources_file=sources)


@pytest.mark.parametrize("path", ["/", "/sources"])
def test_every_page_answers(app, path):
    client, _ = signed_in(app, "leader")
    response = client.get(path)
    assert response.status_code == 200
    assert b"_dash-config" in response.data


def test_an_unknown_page_says_so_in_both_languages(app):
    from pages import not_found_404

    # the app answers any address with 404 and its index; Dash Pages then draws this module's layout
    client, _ = signed_in(app, "viewer")
    for missing in ("/no/such/page", "/cases/extra", "/admin/nothing", "/%E4%B8%8D"):
        response = client.get(missing)
        assert response.status_code == 404, missing
        assert b"_dash-config" in response.data  # the shell, with its way back
    assert client.get("/").status_code == 200
    assert client.get("/?lang=en").status_code == 200
    assert client.get("/_dash-component-suites/no/such.js").status_code == 404
    for lang, text in (("zh", "没有这个页面"), ("en", "No such page")):
        layout = not_found_404.layout(lang).to_plotly_json()
        assert text in json.dumps(layout, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def test_overview_figures_come_from_the_store(app):
    with app.server.app_context():
        from security.scope import WHOLE_PARK
        from services.kpis import kpi_figures

        figures = {f.spec.id: f for f in kpi_figures(WHOLE_PARK)}
    assert figures["enterprises"].value == 2000
    assert figures["open_cases"].value > 0
    assert 0 < figures["on_time_closure_30d"].value <= 1
    assert all(f.source == "park-store" and not f.stale for f in figures.values())


def test_sources_page_shows_rejections_and_a_missing_file(app):
    with app.server.app_context():
        from pages import sources as page
        from services.context import get_services

        manager = get_services().sources
        manager.monitors["hotline-export"].read("cases")
        for _ in range(3):
            manager.monitors["party-layer"].read("features")
        text = json.dumps(page.make_body("en"), default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    health = {h.source: h for h in manager.health()}
    assert health["hotline-export"].status == "degraded"
    assert health["hotline-export"].rows_accepted == 1
    assert health["hotline-export"].rows_rejected == 3
    assert health["party-layer"].status == "down"
    assert "not one of reported" in text
    assert "missing.geojson" in text
    assert "Down" in text and "Degraded" in text


def _click(callback, source: str, lang: str = "en"):
    """Call a pattern-matching callback as Dash would after a click (Dash's documented way of
    testing callbacks: set the callback context, then call the function)."""
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    def run():
        prop = json.dumps({"source": source, "type": "sources-check"}, separators=(",", ":"))
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{prop}.n_clicks", "value": 1}]))
        return callback([1], lang)

    return copy_context().run(run)


def test_check_now_reads_a_source_that_serves_no_panel(app):
    from pages import sources as page

    with app.server.app_context():
        body, notice = _click(page.on_check.__wrapped__, "hotline-export")
    text = json.dumps([c.to_plotly_json() for c in body], default=lambda c: c.to_plotly_json())
    assert "Checked Hotline export: Degraded" in json.dumps(notice.to_plotly_json(), default=str)
    assert "teleported" in text


def test_a_forged_source_name_gets_a_message_not_an_error(app):
    from dash import no_update

    from pages import sources as page

    with app.server.app_context():
        body, notice = _click(page.on_check.__wrapped__, "../../etc/passwd")
    assert body is no_update
    assert "There is no source named ../../etc/passwd" in json.dumps(notice.to_plotly_json(), default=str)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("fr-FR", "zh"), ("", "zh")],
)
def test_first_visit_language_follows_the_browser(app, accept, expected):
    client, _ = signed_in(app, "viewer")
    layout = client.get("/_dash-layout", headers={"Accept-Language": accept}).get_json()
    assert _radio_value(layout) == expected


def _radio_value(node):
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == "shell-lang":
            return props.get("value")
        for value in props.values():
            found = _radio_value(value)
            if found:
                return found
    if isinstance(node, list):
        for item in node:
            found = _radio_value(item)
            if found:
                return found
    return None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ONESCREEN_PORT": "eighty"}, "port: Input should be a valid integer"),
        ({"ONESCREEN_THEME": "dark"}, "unknown setting(s) in the environment: ONESCREEN_THEME"),
        ({"ONESCREEN_SOURCES_FILE": "/nonexistent/sources.yaml"}, "/nonexistent/sources.yaml"),
    ],
)
def test_bad_configuration_stops_start_up_with_one_line_naming_it(tmp_path, env, message):
    import os
    import subprocess
    import sys
    from pathlib import Path

    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")}
    clean.update(env, ONESCREEN_DATA_DIR=str(tmp_path / "data"))
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "app.py"], cwd=root, env=clean, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists(), "nothing is created before the configuration is known good"


@pytest.mark.parametrize("lang", ["<script>alert(1)</script>", ["en", "zh"], None, 42])
def test_callbacks_given_a_forged_language_answer_in_a_known_one(app, lang):
    from flask_login import login_user

    from components.freshness import update_freshness
    from components.shell import update_nav
    from pages import overview, sources
    from security.users import find, principal_of

    with app.server.test_request_context("/"):
        login_user(principal_of(find(app.server.extensions["onescreen"].engine, "leader")))
        nav, brand, _user = update_nav(lang, "/")
        assert brand == "园区运行一网统管"
        children, css = update_freshness(None, lang)
        assert css.startswith("os-freshness")
        for page in (overview, sources):
            layout = page.layout(lang).to_plotly_json()
            rendered = json.dumps(layout, default=lambda c: getattr(c, "to_plotly_json", lambda: str(c))())
            assert "<script>" not in rendered
