"""Enterprise profiles, search and what lies near a firm, on the demo park's store: each checked
against the store's own rows (the enterprises and their yearly figures as the adapters wrote
them, every case and alert read back and measured here), not against the chain view that
computed them; bad input (an unknown id, a mistyped credit code, an unknown chain) answered
with its reason."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from apps import build_app
from sqlalchemy import insert, select

from domain.credit_code import check_character
from security.principal import Principal
from security.roles import Role
from services import enterprises
from services.data import snapshot
from services.enterprise_nearby import ALERT_RADIUS_M, CASE_RADIUS_M, MAX_ROWS, nearby
from store.models import CONTRACT_TABLES, Alert, Sensor

OWN = "urban_management"
LEADER = Principal("user", "leader", "Leader", (Role.LEADER,))
VIEWER = Principal("user", "viewer", "Viewer", (Role.VIEWER,))
HEAD = Principal("user", "dept-head", "Head", (Role.DEPARTMENT_HEAD,), department=OWN)
HEADLESS = Principal("user", "nobody", "No department", (Role.DEPARTMENT_HEAD,))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("enterprises"), demo_cases=4000)


@pytest.fixture(scope="module")
def ctx(app):
    with app.server.app_context():
        yield


@pytest.fixture(scope="module")
def store(app, ctx) -> dict[str, pd.DataFrame]:
    return {c: snapshot(c).frame for c in ("chains", "enterprises", "enterprise_figures")}


def _metres(lon0: float, lat0: float, lon: pd.Series, lat: pd.Series) -> pd.Series:
    """Great-circle distance (haversine), independent of the store's approximation."""
    r = 6_371_008.8
    p0, p = math.radians(lat0), lat.map(math.radians)
    dp, dl = p - p0, (lon - lon0).map(math.radians)
    a = (dp / 2).map(math.sin) ** 2 + math.cos(p0) * p.map(math.cos) * (dl / 2).map(math.sin) ** 2
    return 2 * r * a.map(lambda v: math.asin(math.sqrt(v)))


def test_a_profile_has_the_firms_own_rows_its_link_and_its_history(store, ctx):
    firm = store["enterprises"].dropna(subset=["chain_link"]).iloc[5]
    found = enterprises.profile(firm["id"])
    assert found is not None
    assert found.facts["name"] == firm["name"] and found.facts["credit_code"] == firm["credit_code"]
    link = store["chains"].set_index("link").loc[firm["chain_link"]]
    assert found.facts["link_name"] == link["name"] and found.facts["chain_name_en"] == link["chain_name_en"]
    own = store["enterprise_figures"][store["enterprise_figures"]["enterprise_id"] == firm["id"]].sort_values(
        "year"
    )
    assert [h["year"] for h in found.history] == own["year"].tolist()
    assert [h["revenue"] for h in found.history] == pytest.approx(own["revenue"].tolist())
    assert found.industry_name and found.year == int(store["enterprise_figures"]["year"].max())


def test_each_comparison_is_against_the_median_of_the_links_firms_that_have_the_figure(store, ctx):
    firms = store["enterprises"]
    firm = firms.dropna(subset=["chain_link"]).iloc[7]
    found = enterprises.profile(firm["id"])
    figures = store["enterprise_figures"]
    last = figures[figures["year"] == figures["year"].max()].set_index("enterprise_id")
    peers = firms.loc[firms["chain_link"] == firm["chain_link"], "id"]
    revenue = pd.to_numeric(last["revenue"].reindex(peers), errors="coerce").dropna()
    by = {c.measure: c for c in found.comparisons}
    assert by["revenue"].count == len(revenue)
    assert by["revenue"].median == pytest.approx(float(revenue.median()))
    own = last["revenue"].get(firm["id"])
    expected = "above" if own > revenue.median() else "below" if own < revenue.median() else "at"
    assert by["revenue"].position == expected
    shares = (last["rd_spending"] / last["revenue"]).reindex(peers).dropna()
    assert by["rd_share"].median == pytest.approx(float(shares.median()))
    assert [c.measure for c in found.comparisons] == list(enterprises.MEASURES)


def test_a_firm_in_no_link_has_no_comparison_and_an_unknown_id_no_profile(store, ctx):
    loose = store["enterprises"][store["enterprises"]["chain_link"].isna()].iloc[0]
    assert enterprises.profile(loose["id"]).comparisons == ()
    assert enterprises.profile("ENT-NO-SUCH") is None
    assert enterprises.profile("") is None


def test_search_by_part_of_a_name_in_either_language_and_any_case(store, ctx):
    firm = store["enterprises"].iloc[42]
    zh = enterprises.search(firm["name"][3:7])
    assert firm["id"] in [r["id"] for r in zh.rows] or zh.total > len(zh.rows)
    english = firm["name_en"].split()[1]
    found = enterprises.search(english.upper(), limit=100)
    expected = store["enterprises"]["name_en"].str.contains(english, case=False, regex=False).sum()
    assert found.total == expected
    whole = enterprises.search(firm["name"])
    assert whole.rows[0]["id"] == firm["id"]  # the exact name first


def test_search_by_a_whole_credit_code_or_its_beginning(store, ctx):
    firm = store["enterprises"].iloc[99]
    code = firm["credit_code"]
    assert [r["id"] for r in enterprises.search(code.lower()).rows] == [firm["id"]]
    spaced = f"{code[:6]} {code[6:12]} {code[12:]}"  # as printed on a licence
    assert enterprises.search(spaced).rows[0]["id"] == firm["id"]
    prefix = code[:10]
    expected = store["enterprises"]["credit_code"].str.startswith(prefix).sum()
    assert enterprises.search(prefix, limit=100).total == expected
    assert enterprises.search("91130").total == 0  # five characters: too short to be a code's beginning


def test_a_mistyped_credit_code_is_refused_with_the_reason_not_taken_for_no_match(store, ctx):
    code = store["enterprises"]["credit_code"].iloc[0]
    wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[17])
    found = enterprises.search(code[:17] + wrong)
    assert found.rows == [] and found.problem is not None
    assert found.problem.kind == "check"
    assert found.problem.values == {"expected": check_character(code[:17]), "given": wrong}
    assert found.problem.message.startswith(f"not a valid credit code: {code[:17]}{wrong}")
    with_o = enterprises.search(code[:16] + "O" + code[17])
    assert with_o.problem.kind == "character" and with_o.problem.values == {"char": "O"}
    longer = enterprises.search(code + "7")
    assert longer.problem.kind == "length" and longer.problem.values == {"count": 19}


def test_an_empty_or_blank_search_finds_nothing_and_an_overlong_one_is_cut(ctx):
    assert enterprises.search("").total == 0 and enterprises.search("   ").rows == []
    assert enterprises.search("有限公司" * 200, limit=5).problem is None


def test_the_list_filters_by_chain_and_link_and_pages_without_overlap(store, ctx):
    link = store["chains"]["link"].iloc[0]
    chain = store["chains"]["chain"].iloc[0]
    in_link = enterprises.listing(link=link, limit=100)
    assert in_link.total == int((store["enterprises"]["chain_link"] == link).sum())
    chain_links = set(store["chains"].loc[store["chains"]["chain"] == chain, "link"])
    first = enterprises.listing(chain=chain, limit=10)
    second = enterprises.listing(chain=chain, limit=10, offset=10)
    assert first.total == int(store["enterprises"]["chain_link"].isin(chain_links).sum())
    ids = [r["id"] for r in first.rows + second.rows]
    assert len(set(ids)) == 20 and ids == sorted(ids)
    with pytest.raises(enterprises.UnknownFilter, match="unknown chain 'atlantis'"):
        enterprises.listing(chain="atlantis")
    with pytest.raises(enterprises.UnknownFilter, match="unknown link"):
        enterprises.listing(link="no.such.link")


@pytest.fixture(scope="module")
def cases(app, ctx) -> pd.DataFrame:
    table = CONTRACT_TABLES["cases"]
    with app.server.extensions["onescreen"].engine.connect() as connection:
        rows = connection.execute(
            select(table.c.id, table.c.lon, table.c.lat, table.c.reported_at, table.c.department)
        )
        return pd.DataFrame(rows.all(), columns=["id", "lon", "lat", "reported_at", "department"])


def test_the_cases_near_a_firm_are_those_within_150_m_in_the_last_year_newest_first(store, cases, ctx):
    firm = store["enterprises"].iloc[130]
    now = datetime.now(UTC)
    around = nearby(firm["lon"], firm["lat"], LEADER, now)
    recent = cases[cases["reported_at"] >= now - timedelta(days=365)].dropna(subset=["lon", "lat"])
    distance = _metres(firm["lon"], firm["lat"], recent["lon"], recent["lat"])
    # the store's flat-earth distance and the great circle differ by millimetres at 150 m
    assert around.cases_total == int((distance <= CASE_RADIUS_M + 0.01).sum()) > 0
    assert around.records and len(around.cases) == min(around.cases_total, MAX_ROWS)
    times = [c["reported_at"] for c in around.cases]
    assert times == sorted(times, reverse=True)
    assert all(c["distance_m"] <= CASE_RADIUS_M for c in around.cases)


def test_a_viewer_gets_the_counts_only_and_a_department_head_their_own_department(store, cases, ctx):
    firm = store["enterprises"].iloc[130]
    now = datetime.now(UTC)
    leader = nearby(firm["lon"], firm["lat"], LEADER, now)
    viewer = nearby(firm["lon"], firm["lat"], VIEWER, now)
    assert not viewer.records and viewer.cases == [] and viewer.alerts == []
    assert (viewer.cases_total, viewer.alerts_total) == (leader.cases_total, leader.alerts_total)
    head = nearby(firm["lon"], firm["lat"], HEAD, now)
    ids = {c["id"] for c in leader.cases}
    assert head.department == OWN and {c["department"] for c in head.cases} <= {OWN}
    own = cases[cases["id"].isin(ids) & (cases["department"] == OWN)]
    assert {c["id"] for c in head.cases} >= set(own["id"])
    assert head.cases_total <= leader.cases_total
    refused = nearby(firm["lon"], firm["lat"], HEADLESS, now)  # fails closed: nothing read
    assert refused.refused and (refused.cases_total, refused.cases, refused.alerts) == (0, [], [])


def _alert(engine, alert_id: str, sensor: dict, state: str) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    with engine.begin() as c:
        c.execute(insert(Alert).values(
            id=alert_id, rule="smoke_alarm", sensor_id=sensor["id"], quantity="obscuration", value=9.5,
            threshold=4.0, severity="critical", state=state, raised_at=at, version=1,
            department=sensor["department"],
        ))  # fmt: skip


def test_the_open_alerts_near_a_place_are_those_of_sensors_within_300_m(app, ctx):
    engine = app.server.extensions["onescreen"].engine
    sensors = snapshot("sensors").frame.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    centre = sensors.iloc[0]
    distance = _metres(centre["lon"], centre["lat"], sensors["lon"], sensors["lat"])
    near, far = sensors[distance <= 250].iloc[0], sensors[distance > 400].iloc[0]
    _alert(engine, "A-TEST-NEAR-OPEN", near.to_dict(), "raised")
    _alert(engine, "A-TEST-NEAR-DONE", near.to_dict(), "resolved")
    _alert(engine, "A-TEST-FAR-OPEN", far.to_dict(), "acknowledged")
    with engine.connect() as connection:
        rows = connection.execute(
            select(Alert.id, Alert.state, Sensor.lon, Sensor.lat).join(Sensor, Sensor.id == Alert.sensor_id)
        ).all()
    alerts = pd.DataFrame(rows, columns=["id", "state", "lon", "lat"])
    open_ = alerts[~alerts["state"].isin(["resolved", "closed"])]
    around = nearby(centre["lon"], centre["lat"], LEADER)
    expected = _metres(centre["lon"], centre["lat"], open_["lon"], open_["lat"]) <= ALERT_RADIUS_M + 0.01
    assert around.alerts_total == int(expected.sum()) >= 1
    found = {a["id"] for a in around.alerts}
    assert "A-TEST-NEAR-OPEN" in found and not found & {"A-TEST-NEAR-DONE", "A-TEST-FAR-OPEN"}
    assert all(a["distance_m"] <= ALERT_RADIUS_M for a in around.alerts)
    viewer = nearby(centre["lon"], centre["lat"], VIEWER)
    assert viewer.alerts_total == around.alerts_total and viewer.alerts == []


@pytest.mark.parametrize("place", [(None, 38.0), (math.nan, 38.0), (114.6, math.inf), ("114.6", 38.0)])
def test_a_place_that_is_none_reads_nothing(place, ctx):
    assert nearby(*place, LEADER) is None


def test_before_a_search_the_largest_firms_by_last_years_revenue_are_offered(store, ctx):
    figures = store["enterprise_figures"]
    last = figures[figures["year"] == figures["year"].max()].sort_values("revenue", ascending=False)
    found = enterprises.largest(5)
    assert [r["id"] for r in found.rows] == last["enterprise_id"].head(5).tolist()
    assert found.total == len(store["enterprises"])
