"""The audit grid's detail column in words (issue 8, defect 11): "Label: value" pairs in the
page's language instead of raw JSON, nothing of the detail lost, plain text only; the CSV
download keeps the detail as JSON, for the machines that read it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from admin_calls import answer, engine_of, post

from components.admin_audit import CSV_COLUMNS, compact, csv_export, grid_rows, readable
from locales import catalogue

PARK = ZoneInfo("Asia/Shanghai")
NAMES = {"urban_management": "Urban Management Bureau", "gas_heating": "Gas and Heating Company"}
# every detail key security.audit.record's callers write (services.case_commands, security.users,
# security.tokens, security.scope, security.views, services.export.export_detail with the audit
# log's and the cases' filters, pages.sources): each has a label in both languages
WRITTEN_KEYS = (
    "roles", "role", "department", "departments", "demo", "client", "expires_days", "reason", "failures",
    "locked_until", "username", "until", "rows", "matched", "actions", "outcome", "actor", "target", "since",
    "days", "status", "channel", "domain", "case_type", "grid_cell", "overdue", "own", "requested", "cases",
    "count", "action", "from", "to", "version", "satisfaction", "duplicate_of", "refused", "why",
)  # fmt: skip


def _name(department: str) -> str:
    return NAMES.get(department, department)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_the_app_writes_has_a_label(lang):
    words = catalogue(lang)
    assert [key for key in WRITTEN_KEYS if f"audit.detail.{key}" not in words] == []


def test_a_user_change_reads_as_words_in_english_and_chinese():
    created = {"roles": "department_head", "department": "urban_management", "demo": False}
    assert readable(created, "en", PARK, _name) == (
        "Roles: Department head · Department: Urban Management Bureau · Demo user: No"
    )
    assert readable(created, "zh") == "角色: 部门负责人 · 部门: urban_management · 演示用户: 否"
    changed = {"roles": "duty_officer,viewer", "department": None}
    assert readable(changed, "en") == "Roles: Duty officer, Viewer · Department: —"
    assert readable(changed, "zh") == "角色: 值班员, 观看者 · 部门: —"


def test_a_case_step_names_its_step_statuses_and_department():
    step = {
        "action": "dispatch",
        "from": "accepted",
        "to": "dispatched",
        "version": 2,
        "department": "gas_heating",
    }
    assert readable(step, "en", PARK, _name) == (
        "Step: Dispatch · From status: Accepted · To status: Dispatched · Version: 2 · "
        "Department: Gas and Heating Company"
    )
    assert readable(step, "zh").startswith("步骤: 派遣 · 原状态: 已受理 · 新状态: 已派遣 · 版本: 2")
    rejected = {"action": "reject", "reason": "duplicate", "duplicate_of": "2026120600012"}
    assert readable(rejected, "en") == (
        "Step: Reject · Reason: Duplicate of an earlier case · Duplicate of: 2026120600012"
    )


def test_an_export_lists_its_filters_in_words_and_park_time():
    detail = {
        "rows": 1000,
        "matched": 5321,
        "actions": ["login.success", "user.roles"],
        "outcome": "denied",
        "since": "2026-11-30T16:00:00+00:00",  # the park's midnight, stored in UTC
        "overdue": True,
        "channel": ["hotline_12345", "wechat"],
    }
    assert readable(detail, "en", PARK) == (
        "Rows exported: 1,000 · Rows matched: 5,321 · Actions: Signed in, Roles changed · Outcome: Denied · "
        "From: 2026-12-01 00:00:00 · Overdue only: Yes · Channel: 12345 hotline, WeChat account"
    )
    assert readable(detail, "zh", PARK).startswith(
        "导出行数: 1,000 · 匹配行数: 5,321 · 操作类型: 登录成功, 变更角色"
    )


def test_refusal_reasons_are_translated_and_an_unknown_one_kept():
    assert (
        readable({"reason": "wrong password", "failures": 3}, "en")
        == "Reason: Wrong password · Failed attempts: 3"
    )
    assert readable({"reason": "wrong password"}, "zh") == "原因: 密码错误"
    assert readable({"reason": "revoked"}, "zh") == "原因: 令牌已吊销"
    assert readable({"reason": "a brand new reason"}, "en") == "Reason: a brand new reason"
    assert readable({"status": "degraded"}, "en") == "Status: Degraded"  # a source check's health


def test_an_unknown_key_and_a_nested_dict_lose_nothing():
    detail = {
        "weird_key": "x",
        "meta": {"by": "duty", "ack": False, "deep": {"level": 3}},
        "tags": [],
        "n": 1.5,
    }
    assert readable(detail, "en") == (
        "weird_key: x · meta.by: duty · meta.ack: No · meta.deep.level: 3 · tags: — · n: 1.5"
    )
    assert readable({"filters": {"status": ["reported", "closed"]}}, "zh") == "filters.状态: 已上报, 已结案"
    assert readable({"items": [{"a": 1}, "b"]}, "en") == 'items: {"a": 1}, b'


def test_markup_in_a_value_stays_text(app):
    detail = {"why": '<img src=x onerror="alert(1)"> & <b>bold</b>', "<key>": "v"}
    assert readable(detail, "en") == 'Why: <img src=x onerror="alert(1)"> & <b>bold</b> · <key>: v'
    # the grid draws the detail as text: no renderer that would read it as HTML or markdown (the
    # page module registers itself with Dash, so the app must exist first, whichever test ran before)
    from pages.admin_audit import _columns

    detail_column = next(c for c in _columns("en") if c["field"] == "detail")
    assert not {"cellRenderer", "dangerously_allow_html"} & set(detail_column)
    assert detail_column["wrapText"] and detail_column["autoHeight"]  # a long detail wraps, not cut off
    assert detail_column["tooltipField"] == "detail"


def test_no_detail_is_an_empty_cell():
    assert readable(None, "en") == readable({}, "zh") == readable("odd", "en") == ""


def _entries(detail):
    return pd.DataFrame(
        [
            {
                "at": datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
                "actor": "admin",
                "action": "user.create",
                "outcome": "ok",
                "target": "user:ops.zhao",
                "ip": "10.0.0.1",
                "detail": detail,
            }
        ]
    )


def test_the_grid_reads_words_and_the_download_keeps_the_json():
    detail = {"roles": "leader", "department": None, "demo": False, "note": "<b>x</b>"}
    entries = _entries(detail)
    (row,) = grid_rows(entries, "en", PARK)
    assert row["detail"] == "Roles: Park leader · Department: — · Demo user: No · note: <b>x</b>"
    assert row["time"] == "2026-03-01 10:00:00"
    table = list(csv.reader(io.StringIO(csv_export(entries, "zh", PARK)[1:])))
    detail_cell = table[1][CSV_COLUMNS.index("detail")]
    assert detail_cell == compact(detail) and json.loads(detail_cell) == detail


def test_the_page_shows_a_stored_detail_in_the_chosen_language(app, admin):
    """Over HTTP: the department's name comes from the store, in the page's language."""
    from security import audit

    detail = {"requested": "gas_heating", "own": "urban_management", "probe": {"path": "/x?<y>"}}
    audit.record(engine_of(app), "scope.denied", actor="probe-words", outcome="denied", target="cases",
                 detail=detail)  # fmt: skip
    with app.server.app_context():
        from services.reference import department_name

        names = {
            lang: [department_name(d, lang) for d in ("gas_heating", "urban_management")]
            for lang in ("en", "zh")
        }
    for lang, words in (("en", "Requested department: {} · Own department: {} · probe.path: /x?<y>"),
                        ("zh", "请求的部门: {} · 本部门: {} · probe.path: /x?<y>")):  # fmt: skip
        values = {"audit-actor.value": "probe-words", "shell-lang.value": lang}
        got = answer(post(app, admin, "on_filter", values, "audit-actor.value"))
        (row,) = got["audit-grid"]["rowData"]
        assert row["detail"] == words.format(*names[lang])
    assert names["zh"] != names["en"] and "gas_heating" not in names["zh"]
