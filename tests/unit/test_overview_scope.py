"""The Overview as a department sees it and as time passes (issue 8, defects 1, 7 and 8): a
figure the department has no data for says so in words, a park-wide figure says it is
park-wide, a department working one domain sees its case types, and a figure older than its
refresh allows says it is not updating."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from apps import build_app

from components.kpi_card import make_kpi_card
from components.read_at import read_state
from security.scope import WHOLE_PARK, Scope
from services.kpi_cards import NONE_IN_SCOPE, PARK_WIDE, KpiFigure, kpi_figures
from services.kpis import specs

OWN = "urban_management"  # works the urban-management domain only (config/departments.yaml)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("overview-scope"), demo_cases=3_000)


def _text(component) -> str:
    def plain(c):  # Dash components as their JSON; a figure's arrays and dates as text
        return c.to_plotly_json() if hasattr(c, "to_plotly_json") else str(c)

    return json.dumps(component, default=plain, ensure_ascii=False)


def _figures(app, scope):
    with app.server.app_context():
        return {f.spec.id: f for f in kpi_figures(scope)}


def test_a_department_without_sensors_is_told_so_in_words_not_a_bare_dash(app):
    with app.server.app_context():
        from services.data import snapshot

        sensors = snapshot("sensors").frame
    without = next(
        d
        for d in ("urban_management", "market_supervision", "petitions_office")
        if d not in set(sensors["department"])
    )
    park, department = _figures(app, WHOLE_PARK), _figures(app, Scope(without))
    assert park["sensors_reporting"].value is not None and park["sensors_reporting"].note is None
    assert department["sensors_reporting"].value is None
    assert department["sensors_reporting"].note == NONE_IN_SCOPE
    for lang, words in (("en", "no data for Urban"), ("zh", "无此项数据")):
        card = make_kpi_card(
            department["sensors_reporting"], lang, ZONE, "store", timedelta(minutes=3), "Urban"
        )
        assert words.split("Urban")[0] in _text(card)


def test_park_wide_figures_are_labelled_park_wide_in_a_department_view(app):
    park, department = _figures(app, WHOLE_PARK), _figures(app, Scope(OWN))
    assert department["enterprises"].note == PARK_WIDE and department["enterprises"].value == 2000
    assert park["enterprises"].note is None
    label = {"en": "Enterprises (park-wide)", "zh": "园区企业（全园区）"}
    for lang in ("en", "zh"):
        assert label[lang] in _text(
            make_kpi_card(department["enterprises"], lang, ZONE, "s", timedelta(minutes=3))
        )
        assert label[lang] not in _text(
            make_kpi_card(park["enterprises"], lang, ZONE, "s", timedelta(minutes=3))
        )
    # figures of the department's own data carry no note
    assert department["open_cases"].note is None and department["open_cases"].value is not None


def test_a_department_working_one_domain_sees_its_case_types(app):
    with app.server.app_context():
        from pages import overview as page
        from services.kpis import overview_figures

        own = overview_figures(Scope(OWN))
        park = overview_figures(WHOLE_PARK)
        body_en = _text(page.make_body("en", Scope(OWN)))
        body_zh = _text(page.make_body("zh", Scope(OWN)))
        park_en = _text(page.make_body("en", WHOLE_PARK))
    # the bureau works one domain, though a few of its cases are filed under another
    assert own.by_type is not None and len(own.by_type) > 1
    assert own.by_type.sum() == own.by_domain.sum()  # the same cases, by type
    assert park.by_type is None and len(park.by_domain) > 1
    with app.server.app_context():
        several = overview_figures(Scope("command_center"))  # works every domain
    assert several.by_type is None
    assert "'s cases by type, last 30 days" in body_en and "Cases by domain" not in body_en
    assert "案件类型分布" in body_zh and "案件领域分布" not in body_zh
    assert "Cases by domain" in park_en and "cases by type" not in park_en


def test_many_case_types_show_the_ten_largest_and_the_rest_as_one_bar(app):  # pages register with the app
    from components.panel_builders import OTHER
    from components.panel_builders import top as _top

    counts = pd.Series({f"t{i:02d}": i + 1 for i in range(30)})
    top = _top(counts)
    assert len(top) == 11 and top.index[0] == OTHER  # the bottom bar
    assert top.iloc[1:].tolist() == list(range(21, 31)) and top.sum() == counts.sum()
    assert _top(counts.iloc[:11]).sum() == counts.iloc[:11].sum() and OTHER not in _top(counts.iloc[:11])


def _figure(fetched_at, stale=False):
    spec = next(s for s in specs() if s.id == "open_cases")
    return KpiFigure(spec, 12.0, "park-store", fetched_at, stale)


def test_a_figure_older_than_its_refresh_allows_says_it_is_not_updating():
    now = datetime.now(UTC)
    late = timedelta(minutes=3)
    assert read_state(now - timedelta(seconds=20), False, late, now) == "live"
    assert read_state(now - timedelta(minutes=4), False, late, now) == "late"
    assert read_state(now - timedelta(minutes=4), True, late, now) == "stale"  # down says more
    fresh = _text(make_kpi_card(_figure(now - timedelta(seconds=20)), "en", ZONE, "s", late))
    old = _text(make_kpi_card(_figure(now - timedelta(minutes=86)), "en", ZONE, "s", late))
    assert "read " in fresh and '"data-late-ms": "180000"' in fresh  # the browser marks it later
    assert "no update since" in old and "os-late" in old and "data-late-ms" not in old
    zh = _text(make_kpi_card(_figure(now - timedelta(minutes=86)), "zh", ZONE, "s", late))
    assert "后未更新" in zh


def test_the_overview_judges_by_the_settings_refresh(app):
    from services.freshness import late_after

    settings = app.server.extensions["onescreen"].settings
    assert late_after(settings, 60) == timedelta(seconds=settings.cache_timeout_s + 120)
