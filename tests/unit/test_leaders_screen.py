"""The leaders' screen (config/screens.yaml leaders-hd) as the renderer draws it: the "needs a
decision" sentences carry the store's figures (overdue cases by department, the critical alert
waiting longest and where), each within the principal's scope (a screens viewer gets the alerts
counted, a department head its own department and no chain gap); the sensor network counts every
sensor of the kinds that report; the KPI cards show their targets; each panel names its source
and when it was read."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from dash_calls import router_page
from dash_tree import text as _text
from dash_tree import with_class as _nodes
from signin import signed_in
from sqlalchemy import func, insert, select, update

from domain.alert_rules import OfflineRule
from locales import t
from store.models import CONTRACT_TABLES, Alert, Department, Sensor

CASES = CONTRACT_TABLES["cases"]
ALERTS = Alert.__table__
SENSORS = Sensor.__table__
CLOSED = ("closed", "rejected")  # config/kpis.yaml's overdue_open_cases: open is neither


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("leaders"), demo_cases=300)
    engine = app.server.extensions["onescreen"].engine
    with engine.begin() as c:  # a smoke alarm nobody acknowledged, three hours ago
        sensor = c.execute(
            select(SENSORS.c.id, SENSORS.c.address_en).where(SENSORS.c.kind == "smoke")
        ).first()
        c.execute(
            insert(ALERTS).values(
                id="A-LEADERS-1", rule="smoke_alarm", sensor_id=sensor.id, severity="critical", state="raised",
                raised_at=datetime.now(UTC) - timedelta(hours=3), department="emergency_management", version=1,
            )
        )  # fmt: skip
        # and open cases past their deadline in two departments (a small demo park may have none)
        open_cases = c.execute(
            select(CASES.c.pk, CASES.c.department)
            .where(CASES.c.status.not_in(CLOSED), CASES.c.department.is_not(None))
            .order_by(CASES.c.pk)
        ).all()
        departments = list(dict.fromkeys(d for _pk, d in open_cases))[:2]
        for department, n in zip(departments, (4, 2), strict=False):
            pks = [pk for pk, d in open_cases if d == department][:n]
            late = datetime.now(UTC) - timedelta(days=n)
            c.execute(update(CASES).where(CASES.c.pk.in_(pks)).values(sla_deadline=late))
    return app


def _engine(app):
    return app.server.extensions["onescreen"].engine


def _sentences(session, lang="en") -> list[str]:
    return [_text(n) for n in _nodes(router_page(session, "/wall/leaders-hd", "", lang), "os-decision")]


def _overdue(app, department: str | None = None) -> dict[str | None, int]:
    where = [CASES.c.status.not_in(CLOSED), CASES.c.sla_deadline < datetime.now(UTC)]
    if department:
        where.append(CASES.c.department == department)
    query = select(CASES.c.department, func.count()).where(*where).group_by(CASES.c.department)
    with _engine(app).connect() as c:
        return dict(c.execute(query).all())


def _names(app) -> dict[str, str]:
    with _engine(app).connect() as c:
        return dict(c.execute(select(Department.id, Department.name_en)).all())


def _waiting(app, department: str | None = None) -> list:
    where = [
        ALERTS.c.severity == "critical",
        ALERTS.c.acknowledged_at.is_(None),
        ALERTS.c.state.not_in(("resolved", "closed")),
    ]
    if department:
        where.append(ALERTS.c.department == department)
    with _engine(app).connect() as c:
        query = select(ALERTS.c.sensor_id, ALERTS.c.rule, ALERTS.c.detail).where(*where)
        return c.execute(query.order_by(ALERTS.c.raised_at)).all()


def _counted(sentences: list[str]) -> int:
    """The overdue cases the sentences count: each department's, and the others' together."""
    found = (re.search(r": ([\d,]+) overdue", s) for s in sentences)
    return sum(int(f.group(1).replace(",", "")) for f in found if f)


def test_the_leader_reads_what_waits_with_the_store_s_figures(app):
    session = signed_in(app, "leader")
    sentences = _sentences(session)
    assert 3 <= len(sentences) <= 5
    waiting = _waiting(app)
    oldest_sensor, oldest_rule, detail = waiting[0]
    with _engine(app).connect() as c:
        place = c.execute(select(SENSORS.c.address_en).where(SENSORS.c.id == oldest_sensor)).scalar_one()
    # the alert waiting longest first, with what, where and how long
    rule = t((detail or {}).get("title") or f"alert_rule.{oldest_rule}", "en")
    assert sentences[0].startswith(f"{rule} at {place}: critical, unacknowledged for "), sentences[0]
    overdue = _overdue(app)
    names = _names(app)
    most = max(overdue, key=lambda d: overdue[d])
    line = next(s for s in sentences if s.startswith(f"{names.get(most, most)}: "))
    assert f": {overdue[most]:,} overdue, the longest by " in line
    # every overdue case is counted, named by department or in the sentence for the others
    assert _counted(sentences) == sum(overdue.values())
    assert sentences[-1].startswith("Chain gap: ") and "investment targets" in sentences[-1]
    zh = _sentences(session, "zh")
    assert len(zh) == len(sentences) and "严重告警" in zh[0] and "未确认" in zh[0]


def test_a_screens_viewer_gets_the_alerts_counted_not_named(app):
    sentences = _sentences(signed_in(app, "viewer"))
    waiting = _waiting(app)
    assert sentences[0].startswith(f"Critical alerts unacknowledged: {len(waiting)}, the oldest for ")
    with _engine(app).connect() as c:
        places = c.execute(
            select(SENSORS.c.address_en).where(SENSORS.c.id.in_([w[0] for w in waiting]))
        ).scalars()
        assert not any(p and p in " ".join(sentences) for p in places)


def test_a_department_head_reads_its_own_department_and_no_chain_gap(app):
    sentences = _sentences(signed_in(app, "department_head"))  # urban_management
    overdue = _overdue(app, "urban_management")
    name = _names(app)["urban_management"]
    assert [s for s in sentences if "overdue" in s] == [
        s for s in sentences if s.startswith(f"{name}: {overdue['urban_management']:,} overdue")
    ]
    assert not any(s.startswith("Chain gap") for s in sentences)
    if not _waiting(app, "urban_management"):
        assert not any("critical" in s for s in sentences)


def _sensor_totals(tree) -> list[int]:
    (total,) = _nodes(tree, "os-sn-total")
    return [int(_text(n).replace(",", "")) for n in _nodes(total, "os-num")]


def test_the_sensor_network_counts_every_sensor_of_the_kinds_that_report(app):
    from services.alert_book import checked_rule_book

    kinds = {k for r in checked_rule_book().rules if isinstance(r, OfflineRule) for k in r.sensor_kinds}
    with _engine(app).connect() as c:
        park = c.execute(select(func.count()).where(SENSORS.c.kind.in_(kinds))).scalar_one()
        present = c.execute(
            select(func.count(SENSORS.c.kind.distinct())).where(SENSORS.c.kind.in_(kinds))
        ).scalar_one()
        own = c.execute(
            select(func.count()).where(SENSORS.c.kind.in_(kinds), SENSORS.c.department == "urban_management")
        ).scalar_one()
    tree = router_page(signed_in(app, "leader"), "/wall/leaders-hd", "", "en")
    assert sum(_sensor_totals(tree)) == park > 0
    assert len(_nodes(tree, "os-sn-row")) == 1 + present + 1  # the head, a row per kind, the total
    head_tree = router_page(signed_in(app, "department_head"), "/wall/leaders-hd", "", "en")
    # the department's own sensors only (the demo's urban management runs none that report:
    # its panel says there is nothing, rather than showing the park's)
    assert (sum(_sensor_totals(head_tree)) if _nodes(head_tree, "os-sn-total") else 0) == own


def test_each_panel_names_its_source_and_when_it_was_read_and_the_cards_their_targets(app):
    tree = router_page(signed_in(app, "leader"), "/wall/leaders-hd", "", "en")
    heads = _nodes(tree, "os-panel-head")
    assert len(heads) == 7  # every panel but the alert strip and the KPI cards (each card has its own)
    for head in heads:
        source = _text(_nodes(head, "os-panel-source")[0])
        assert "Park data store" in source and re.search(r"read \d\d:\d\d", source), source
    # the alert strip names its source at its right end, for a reader of alerts and a viewer
    for who in ("leader", "viewer"):
        strip = router_page(signed_in(app, who), "/wall/leaders-hd", "", "en") if who == "viewer" else tree
        (source,) = [_text(n) for n in _nodes(strip, "os-ticker-source")]
        assert "Park data store" in source and re.search(r"read \d\d:\d\d", source), source
    targets = [_text(n) for n in _nodes(tree, "os-kpi-target")]
    assert "Target ≤ 0 cases" in targets and "Target ≥ 95.0%" in targets
    layers = [_text(n) for n in _nodes(tree, "os-panel-map-layer")]
    assert layers == ["Grid cells (overdue cases)", "Sensors", "Live alerts"]
    assert "Needs a decision" in json.dumps(tree)


def test_a_decision_taken_leaves_the_panel_at_its_next_read(app):
    """The panel's read is shared from the figure cache until an alert, case or chain is
    written (services/decisions.py): acknowledging the alert takes its sentence away at once."""
    session = signed_in(app, "leader")
    assert _sentences(session)[0].startswith("Smoke")  # A-LEADERS-1, read and cached
    assert _sentences(session)[0].startswith("Smoke")
    with _engine(app).begin() as c:
        c.execute(update(ALERTS).where(ALERTS.c.id != "").values(acknowledged_at=datetime.now(UTC)))
    try:
        assert not any("unacknowledged" in s for s in _sentences(session))
    finally:
        with _engine(app).begin() as c:
            c.execute(update(ALERTS).where(ALERTS.c.id == "A-LEADERS-1").values(acknowledged_at=None))
    assert "unacknowledged" in _sentences(session)[0]


def test_the_wall_counts_by_channel_and_domain_as_ranked_bars(app):
    """The wall draws these counts as HTML bars (components/bar_list.py), not Plotly charts:
    largest first, the longest bar the largest count, every figure as the store counts it."""
    tree = router_page(signed_in(app, "leader"), "/wall/leaders-hd", "", "en")
    lists = _nodes(tree, "os-bar-list")
    assert len(lists) == 2
    with app.server.app_context():
        from security.scope import WHOLE_PARK
        from services.kpis import overview_figures

        counted = overview_figures(WHOLE_PARK).by_channel
    shown = {
        _text(n): int(_text(v).replace(",", ""))
        for n, v in zip(_nodes(lists[0], "os-bar-label"), _nodes(lists[0], "os-bar-value"), strict=True)
    }
    assert list(shown.values()) == sorted(counted.values, reverse=True)
    assert shown == {t(f"channel.{k}", "en"): int(v) for k, v in counted.items()}
    widths = [n["props"]["style"]["width"] for n in _nodes(lists[0], "os-bar-fill")]
    assert widths[0] == "100.0%" and all(float(w[:-1]) <= 100 for w in widths)
    assert all(json.dumps(n).count("graph") == 0 for n in lists)
