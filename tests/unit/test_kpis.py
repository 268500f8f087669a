"""KPI specs: evaluation over frames in the park's time zone, and malformed specs refused by name."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from data_sources.contracts import CONTRACTS
from domain.kpi_frames import daily_counts, evaluate
from domain.kpis import KpiSpecError, check_specs, overview_ids, parse_specs

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shijiazhuang
COLUMNS = {name: contract.columns for name, contract in CONTRACTS.items()}


def _cases() -> pd.DataFrame:
    t = pd.to_datetime
    return pd.DataFrame(
        {
            "status": ["closed", "closed", "closed", "accepted", "reported"],
            # 17:00 UTC on the 23rd is 01:00 on the 24th in Shijiazhuang: "today" there
            "reported_at": t(["2026-11-23T17:00Z", "2026-11-23T15:00Z", "2026-11-01T00:00Z", "2026-11-20T00:00Z", "2026-11-24T01:00Z"], utc=True),
            "closed_at": t(["2026-11-23T20:00Z", "2026-11-24T01:00Z", "2026-11-03T00:00Z", None, None], utc=True),
            "sla_deadline": t(["2026-11-24T00:00Z", "2026-11-23T23:00Z", "2026-11-05T00:00Z", "2026-11-21T00:00Z", "2026-11-25T00:00Z"], utc=True),
            "satisfaction": [5, 3, 4, None, None],
        }
    )  # fmt: skip


def _spec(**raw):
    return parse_specs({"kpis": [{"id": "k", "contract": "cases", **raw}]})[0]


def test_today_is_the_parks_calendar_day_not_utcs():
    spec = _spec(measure="count", window={"field": "reported_at", "today": True})
    assert evaluate(spec, _cases(), NOW, SHANGHAI) == 2


def test_on_time_share_counts_closures_by_their_deadline():
    spec = _spec(
        measure="share",
        window={"field": "closed_at", "days": 30},
        of={"status": {"in": ["closed"]}},
        where={"closed_at": {"le_field": "sla_deadline"}},
    )
    assert evaluate(spec, _cases(), NOW, SHANGHAI) == pytest.approx(2 / 3)


def test_overdue_open_cases_are_past_their_deadline_now():
    spec = _spec(
        measure="count", where={"status": {"not_in": ["closed"]}, "sla_deadline": {"before_now": True}}
    )
    assert evaluate(spec, _cases(), NOW, SHANGHAI) == 1


def test_mean_of_nothing_is_undefined_not_zero():
    spec = _spec(measure="mean", field="satisfaction", window={"field": "closed_at", "minutes": 1})
    assert evaluate(spec, _cases(), NOW, SHANGHAI) is None


def test_daily_counts_keep_empty_days():
    counts = daily_counts(_cases(), "reported_at", 7, NOW, SHANGHAI)
    assert len(counts) == 7
    assert counts.iloc[-1] == 2  # the 24th in the park: 01:00 and 09:00
    assert counts.iloc[-2] == 1  # 23:00 on the 23rd, though 15:00 in UTC
    assert counts.iloc[2] == 1  # the 20th
    assert counts.iloc[0] == 0  # a day with nothing is kept, as zero


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"measure": "median"}, "measure: 'median' is not one of"),
        ({"measure": "count", "format": "roman"}, "format: 'roman'"),
        ({"measure": "count", "where": {"status": {"like": "x"}}}, "unknown like"),
        ({"measure": "mean"}, "needs 'field'"),
        (
            {"measure": "count", "window": {"field": "reported_at", "today": True, "days": 3}},
            "exactly one of",
        ),
        ({"measure": "count", "colour": "red"}, "kpi k:"),
        (
            {"measure": "count", "window": {"field": "reported_at", "days": "30"}},
            "kpi k: window.days: '30' is not",
        ),
        (
            {"measure": "count", "window": {"field": "reported_at", "days": -5}},
            "kpi k: window.days: -5 is not",
        ),
        (
            {"measure": "count", "window": {"field": "reported_at", "days": True}},
            "kpi k: window.days: True is not",
        ),
        (
            {"measure": "count", "window": {"field": "reported_at", "minutes": 0.5}},
            "kpi k: window.minutes: 0.5",
        ),
        (
            {"measure": "count", "window": {"field": "reported_at", "today": "no"}},
            "kpi k: window.today: 'no' is not",
        ),
        ({"measure": "count", "window": "30 days"}, "kpi k: window: give a mapping"),
        (
            {"measure": "count", "where": {"status": {"in": "closed"}}},
            "kpi k: where: condition on status: in: give a list",
        ),
        (
            {"measure": "count", "of": {"status": {"not_in": "closed"}}},
            "kpi k: of: condition on status: not_in: give",
        ),
        ({"measure": "count", "group": "finance"}, "kpi k: group: 'finance' is not one of cases, alerts"),
        ({"measure": "count", "page": "no"}, "kpi k: page: 'no' is not true or false"),
        (
            {"measure": "count", "window": {"field": "reported_at", "days": 1}, "fixed": "yes"},
            "kpi k: fixed: 'yes'",
        ),
        (
            {"measure": "count", "bands": {"green": 0.8, "amber": 0.9}},
            "kpi k: bands: with better up, green 0.8",
        ),
        (
            {"measure": "count", "better": "down", "bands": {"green": 9, "amber": 3}},
            "kpi k: bands: with better down",
        ),
        ({"measure": "percentile", "field": "satisfaction", "q": 1.5}, "kpi k: measure percentile needs 'q'"),
        ({"measure": "percentile", "field": "satisfaction", "q": 0}, "kpi k: measure percentile needs 'q'"),
        (
            {"measure": "rate", "window": {"field": "reported_at", "days": 30}, "per": "hour"},
            "kpi k: measure rate",
        ),
        ({"measure": "rate", "per": "day"}, "kpi k: measure rate needs a window"),
        (
            {"measure": "count", "total": "sensors", "drill": ["department"]},
            "kpi k: a KPI with a total has no",
        ),
        ({"measure": "count", "fixed": True}, "kpi k: fixed: needs a window"),
        (
            {"measure": "count", "total_where": {"kind": {"in": ["noise"]}}},
            "kpi k: total_where: needs a total",
        ),
        (
            {"measure": "count", "total": "sensors", "total_where": {"kind": {"like": "no%"}}},
            "kpi k: total_where: condition on kind: unknown like",
        ),
        (
            {"measure": "count", "total": "sensors", "total_where": {"kind": {"not_in": "camera"}}},
            "kpi k: total_where: condition on kind: not_in: give a list",
        ),
        (
            {"measure": "count", "total": "sensors", "total_where": {"kind": ["noise"]}},
            "kpi k: total_where: condition on kind: give a mapping",
        ),
        (
            {"measure": "count", "total": "sensors", "total_where": "noise"},
            "kpi k: total_where: give a mapping",
        ),
        ({"measure": "count", "total": "sensors", "total_filter": {}}, "kpi k: unknown key total_filter"),
    ],
)
def test_malformed_spec_is_refused_naming_the_kpi_and_key(raw, message):
    with pytest.raises(KpiSpecError, match=message):
        _spec(**raw)


def test_well_formed_bands_and_flags_are_taken():
    up = _spec(measure="count", bands={"green": 0.9, "amber": 0.8}, page=False, group="alerts")
    down = _spec(measure="count", better="down", bands={"green": 3, "amber": 9})
    assert up.status(0.85) == "amber" and down.status(2) == "green" and not up.page and up.group == "alerts"


def test_a_kpi_given_twice_is_refused():
    with pytest.raises(KpiSpecError, match="kpi k: id: given twice"):
        parse_specs({"kpis": [{"id": "k", "contract": "cases", "measure": "count"}] * 2})


def test_an_unknown_owner_or_overview_kpi_is_refused():
    specs = parse_specs({"kpis": [{"id": "k", "contract": "cases", "measure": "count", "owner": "finance"}]})
    with pytest.raises(KpiSpecError, match="kpi k: owner: unknown department 'finance'"):
        check_specs(specs, COLUMNS, {"urban_management"})
    check_specs(specs, COLUMNS)  # no department list: the owner is not checked
    with pytest.raises(KpiSpecError, match="overview: unknown kpi nope"):
        overview_ids({"overview": ["k", "nope"]}, specs)
    with pytest.raises(KpiSpecError, match="overview: give a list"):
        overview_ids({"overview": "k"}, specs)
    assert overview_ids({}, specs) == ("k",)


def test_spec_naming_an_unknown_field_or_contract_is_refused():
    with pytest.raises(KpiSpecError, match="cases has no field closed_on"):
        check_specs([_spec(measure="count", window={"field": "closed_on", "days": 1})], COLUMNS)
    with pytest.raises(KpiSpecError, match="contract: unknown 'tickets'"):
        check_specs(parse_specs({"kpis": [{"id": "k", "contract": "tickets", "measure": "count"}]}), COLUMNS)
    # total_where names the total contract's fields, not the counted one's
    with pytest.raises(KpiSpecError, match="kpi k: total_where: sensors has no field status"):
        check_specs([_spec(measure="count", total="sensors", total_where={"status": {"in": ["x"]}})], COLUMNS)
    with pytest.raises(KpiSpecError, match="kpi k: total_where: sensors has no field kind_of"):
        check_specs(
            [_spec(measure="count", total="sensors", total_where={"kind": {"le_field": "kind_of"}})], COLUMNS
        )
    check_specs([_spec(measure="count", total="sensors", total_where={"kind": {"in": ["noise"]}})], COLUMNS)


def test_a_total_counts_only_the_rows_total_where_keeps():
    sensors = pd.DataFrame({"kind": ["noise", "noise", "camera", "eagle_eye", None]})
    spec = _spec(measure="count", total="sensors", total_where={"kind": {"not_in": ["camera", "eagle_eye"]}})
    # 5 cases over the 3 sensors not excluded (a missing kind is in no list, as in SQL)
    assert evaluate(spec, _cases(), NOW, SHANGHAI, total=sensors) == pytest.approx(5 / 3)
    every = _spec(measure="count", total="sensors")
    assert evaluate(every, _cases(), NOW, SHANGHAI, total=sensors) == pytest.approx(5 / 5)
    nothing = _spec(measure="count", total="sensors", total_where={"kind": {"in": ["gas"]}})
    assert evaluate(nothing, _cases(), NOW, SHANGHAI, total=sensors) is None  # no denominator


def test_the_shipped_kpi_file_is_valid():
    from services.kpis import load_specs

    assert len(load_specs()) >= 7
