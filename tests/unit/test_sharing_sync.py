"""A government data-sharing platform synced into the store (services/sharing_sync.py) against a
platform the test runs on loopback (tests/sharing_server.py), through the example mapping
config/imports/sharing_platform.yaml: a full sync of several pages, an incremental one asking
from the checkpoint, pages that fail and are retried or keep failing, a token that expires
mid-sync, and malformed pages and rows. Each test has its own source (and so its own
checkpoints) over the one platform, and its own enterprise ids in the one store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from apps import build_app
from sharing_rows import chain_rows, credit_code, enterprise_row, figure_row, fill
from sharing_server import APP_KEY, APP_SECRET, Platform, running_platform
from sqlalchemy import select

from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from live.case_sync import CaseSyncer, start_syncers
from services.case_import import load_checkpoint
from services.context import get_services
from services.sharing_sync import Mark, checkpoint_key, sync_platform
from store.models import ChainLink, Enterprise, EnterpriseFigure

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "config" / "imports" / "sharing_platform.yaml"
SOURCES = ("full", "again", "retried", "failing", "expiring", "expiring-code", "refused", "malformed",
           "rows-bad", "secret", "background")  # fmt: skip


def options(url: str, **extra):
    return {
        "base_url": url,
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "page_size": 2,
        "since_param": "gxsjq",
        "since_format": "%Y-%m-%d %H:%M:%S",
        "timezone": "Asia/Shanghai",
        "expired_codes": [40101],
        "retries": 2,
        "backoff_s": 0.01,
        "timeout_s": 5,
        "mapping": str(MAPPING),
        **extra,
    }


@pytest.fixture(scope="module")
def served():
    with running_platform() as pair:
        yield pair


@pytest.fixture(scope="module")
def app(tmp_path_factory, served):
    _, url = served
    folder = tmp_path_factory.mktemp("sharing-sync")
    sources = {
        "park-store": {
            "adapter": "sql",
            "title": {"zh": "园区数据底座", "en": "Park data store"},
            "serves": ["cases", "case_events", "sensors", "readings", "alerts", "features"]
            + ["enterprises", "enterprise_figures", "chains"],
            "options": {"url": "${store_url}"},
        }
    }
    for name in SOURCES:
        extra = {"app_secret": "wrong"} if name == "secret" else {}
        if name == "background":
            extra["sync_interval_s"] = 3600
        sources[name] = {
            "adapter": "sharing_platform",
            "title": {"zh": "数据共享交换平台", "en": "Data-sharing platform"},
            "options": options(url, **extra),
        }
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    return build_app(folder, demo_cases=300, demo_live=False, sources_file=path)


@pytest.fixture
def platform(served):
    """The platform, emptied of the previous test's rows, faults and requests."""
    state, _ = served
    fresh = Platform()
    for name in ("rows", "failures", "bodies", "token_uses", "expired_code", "asked"):
        setattr(state, name, getattr(fresh, name))
    return state


def stored_enterprises(app, prefix: int) -> dict[str, tuple]:
    engine = app.server.extensions["onescreen"].engine
    table = Enterprise.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                table.c.id, table.c.name, table.c.founded_on, table.c.chain_link, table.c.credit_code
            ).where(table.c.id.like(f"91320{prefix:02d}%"))
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def mark(app, name: str, contract: str) -> Mark:
    with app.server.app_context():
        return Mark.read(load_checkpoint(checkpoint_key(name, contract)))


def monitor(app, name: str):
    return app.server.extensions["onescreen"].sources.monitors[name]


def test_a_full_sync_stores_every_page_of_links_enterprises_and_figures(app, platform):
    chain = fill(platform, 11, enterprises=5, figures=3)
    with app.server.app_context():
        result = sync_platform("full", actor="tester")
    assert {c: part.summary for c, part in result.contracts.items()} == {
        "chains": "imported 3, updated 0, rejected 0",
        "enterprises": "imported 5, updated 0, rejected 0",
        "enterprise_figures": "imported 3, updated 0, rejected 0",
    }
    assert result.pages == 2 + 3 + 2  # two rows a page
    enterprises = stored_enterprises(app, 11)
    code = credit_code(11, 1)
    assert len(enterprises) == 5
    assert enterprises[code] == ("测试电池有限公司1", date(2015, 3, 12), f"{chain}.mid", code)
    engine = app.server.extensions["onescreen"].engine
    with engine.connect() as connection:
        links = dict(
            connection.execute(select(ChainLink.link, ChainLink.stage).where(ChainLink.chain == chain)).all()
        )
        figure = connection.execute(
            select(EnterpriseFigure.revenue, EnterpriseFigure.tax, EnterpriseFigure.patents).where(
                EnterpriseFigure.enterprise_id == code, EnterpriseFigure.year == 2024
            )
        ).one()
    assert links == {f"{chain}.up": "upstream", f"{chain}.mid": "midstream", f"{chain}.mid.pack": "midstream"}
    assert figure == (pytest.approx(12_345.6789), pytest.approx(456.0), 7)  # 元 → 万元
    # one token for the whole sync, sent on every data request in the configured header
    assert len([a for a in platform.asked if a.method == "POST"]) == 1
    data = [a for a in platform.asked if a.method == "GET"]
    assert len({a.token for a in data}) == 1 and None not in {a.token for a in data}
    assert all("gxsjq" not in a.query for a in data)  # a first sync asks for everything
    # the checkpoint: the newest update time read (10:00 in Shanghai), no page to resume at
    assert mark(app, "full", "enterprises") == Mark(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert mark(app, "full", "chains") == Mark(datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
    health = monitor(app, "full").health
    assert health.status == "ok" and health.batch("enterprises").accepted == 5


def test_a_second_sync_asks_only_for_rows_updated_since_the_checkpoint(app, platform):
    chain = fill(platform, 12, enterprises=3, figures=0)
    with app.server.app_context():
        sync_platform("again")
        platform.asked.clear()
        platform.rows["enterprises"][1] = enterprise_row(
            12, 2, chain, updated="2026-12-02 08:15:00", qymc="改名后的公司"
        )
        platform.rows["enterprises"].append(enterprise_row(12, 9, chain, updated="2026-12-02 08:20:00"))
        # a new link whose parent came with the first sync: checked with the stored links
        platform.rows["chains"].append(
            {
                **chain_rows(chain)[2],
                "hjbm": f"{chain}.mid.bms",
                "hjmc": "电池管理",
                "gxsj": "2026-12-02 08:00:00",
            }
        )
        second = sync_platform("again")
    asked = {a.query.get("gxsjq") for a in platform.data_requests("enterprises")}
    assert asked == {"2026-12-01 10:00:00"}  # the checkpoint, in the platform's zone and form
    assert {a.query.get("gxsjq") for a in platform.data_requests("chains")} == {"2026-12-01 09:30:00"}
    assert second.contracts["chains"].summary == "imported 1, updated 1, rejected 0"
    # the rows updated at the checkpoint's very time come again and are updated in place
    assert second.contracts["enterprises"].summary == "imported 1, updated 3, rejected 0"
    enterprises = stored_enterprises(app, 12)
    assert len(enterprises) == 4 and enterprises[credit_code(12, 2)][0] == "改名后的公司"
    assert mark(app, "again", "enterprises").since == datetime(2026, 12, 2, 0, 20, tzinfo=UTC)


def test_a_page_that_fails_with_500_then_succeeds_is_retried(app, platform):
    fill(platform, 13, enterprises=5, figures=0)
    platform.failures[("enterprises", 2)] = [500, 503]  # two failures; the source retries twice
    with app.server.app_context():
        result = sync_platform("retried")
    assert result.contracts["enterprises"].imported == 5
    assert [a.query["pageNum"] for a in platform.data_requests("enterprises")] == ["1", "2", "2", "2", "3"]
    assert len(stored_enterprises(app, 13)) == 5
    assert monitor(app, "retried").health.status == "ok"


def test_a_page_that_keeps_failing_stops_the_sync_and_keeps_what_was_stored(app, platform):
    fill(platform, 14, enterprises=5, figures=2)
    platform.failures[("enterprises", 2)] = [500] * 3  # more than the two retries
    with app.server.app_context(), pytest.raises(SourceUnavailable, match="page 2.*500"):
        sync_platform("failing")
    assert set(stored_enterprises(app, 14)) == {credit_code(14, 1), credit_code(14, 2)}  # page 1
    assert platform.data_requests("enterprise_figures") == []  # the sync stopped there
    # the checkpoint keeps asking from where it did (nothing yet), after the last complete page
    assert mark(app, "failing", "enterprises") == Mark(None, 2, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    health = monitor(app, "failing").health
    assert health.status == "degraded"
    assert "enterprises" in (health.last_error or "") and "500" in (health.last_error or "")

    platform.asked.clear()  # the platform works again: the next sync resumes at page 2
    with app.server.app_context():
        result = sync_platform("failing")
    assert [a.query["pageNum"] for a in platform.data_requests("enterprises")] == ["2", "3"]
    assert all("gxsjq" not in a.query for a in platform.data_requests("enterprises"))
    assert result.resumed == ["enterprises"]
    assert len(stored_enterprises(app, 14)) == 5
    assert mark(app, "failing", "enterprises") == Mark(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert monitor(app, "failing").health.status == "ok"


@pytest.mark.parametrize(("name", "expired_code"), [("expiring", None), ("expiring-code", 40101)])
def test_a_token_that_expires_mid_sync_is_renewed_once_and_no_row_is_lost(app, platform, name, expired_code):
    prefix = 15 if expired_code is None else 16
    fill(platform, prefix, enterprises=5, figures=3)
    platform.token_uses = 3  # refused (401, or 200 with code 40101) from its fourth data request
    platform.expired_code = expired_code
    with app.server.app_context():
        result = sync_platform(name)
    assert result.report.summary == "imported 11, updated 0, rejected 0"
    assert len(stored_enterprises(app, prefix)) == 5
    tokens = [a for a in platform.asked if a.method == "POST"]
    assert len(tokens) == 3  # the first, and one renewal for each third request after it
    refused = [a for a in platform.asked if a.method == "GET"][3]
    again = [a for a in platform.asked if a.method == "GET"][4]
    assert (again.path, again.query) == (refused.path, refused.query) and again.token != refused.token


def test_a_token_refused_right_after_renewal_stops_the_sync_as_misconfigured(app, platform):
    fill(platform, 17, enterprises=1, figures=0)
    platform.token_uses = 0  # every token is refused at once: renewing does not help
    with app.server.app_context(), pytest.raises(SourceMisconfigured, match="just issued"):
        sync_platform("refused")
    assert len([a for a in platform.asked if a.method == "POST"]) == 2  # renewed once, not more
    assert monitor(app, "refused").health.status == "down"


def test_a_secret_the_platform_refuses_is_reported_without_reading(app, platform):
    fill(platform, 18, enterprises=1, figures=0)
    with app.server.app_context(), pytest.raises(SourceMisconfigured, match="refused app_key"):
        sync_platform("secret")
    assert platform.data_requests("chains") == []
    health = monitor(app, "secret").health
    assert health.status == "down" and "appKey 或 appSecret 错误" in (health.last_error or "")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html>gateway maintenance</html>", "not JSON"),
        (b'{"code": 0, "data": {"list": {"qymc": "x"}, "total": 5}}', "data.list is not a list"),
    ],
    ids=["not-json", "rows-not-a-list"],
)
def test_a_malformed_page_stops_the_sync_after_the_pages_before_it(app, platform, body, words):
    fill(platform, 19, enterprises=5, figures=0)
    platform.bodies[("enterprises", 2)] = body
    with app.server.app_context(), pytest.raises(ContractError, match=words):
        sync_platform("malformed", restart=True)
    assert set(stored_enterprises(app, 19)) >= {credit_code(19, 1), credit_code(19, 2)}
    assert credit_code(19, 5) not in stored_enterprises(app, 19)
    assert mark(app, "malformed", "enterprises").resume == 2
    assert words in (monitor(app, "malformed").health.last_error or "")


def test_rows_with_a_bad_field_are_rejected_with_their_reason_and_the_others_stored(app, platform):
    chain = fill(platform, 20, enterprises=0, figures=0)
    platform.rows["enterprises"] = [
        enterprise_row(20, 1, chain),
        enterprise_row(20, 2, chain, hydm="38A1"),  # not a four-digit class
        "not an object",
        enterprise_row(20, 4, chain, clrq="2015-03-12"),  # not yyyymmdd
        enterprise_row(20, 5, chain, qymc=""),  # a required name missing
        enterprise_row(20, 6, chain),
        enterprise_row(20, 7, chain, cylhj="nowhere"),  # a link no chain has
        enterprise_row(20, 8, chain, tyshxydm=credit_code(20, 8)[:-1] + "X"),  # a wrong check character
    ]
    platform.rows["enterprise_figures"] = [
        figure_row(20, 1),
        figure_row(20, 6, yysr=-5),  # negative revenue
        figure_row(20, 6, nd="二〇二四"),  # a year that is not a number
        figure_row(20, 6, nd=2099),  # a year in the future
        figure_row(20, 2),  # the enterprise was rejected
    ]
    with app.server.app_context():
        result = sync_platform("rows-bad")
    assert set(stored_enterprises(app, 20)) == {credit_code(20, 1), credit_code(20, 6)}
    assert result.contracts["enterprises"].summary == "imported 2, updated 0, rejected 6"
    assert result.contracts["enterprise_figures"].summary == "imported 1, updated 0, rejected 4"
    rejected = {
        (r.contract, r.row, r.field): r
        for r in app.server.extensions["onescreen"].sources.book.recent_rejections("rows-bad")
    }
    assert set(rejected) >= {
        ("enterprises", 2, "industry_code"),
        ("enterprises", 3, "(row)"),
        ("enterprises", 4, "founded_on"),
        ("enterprises", 5, "name"),
        ("enterprise_figures", 2, "revenue"),
        ("enterprise_figures", 3, "year"),
        ("enterprises", 7, "chain_link"),
        ("enterprises", 8, "credit_code"),
        ("enterprise_figures", 4, "year"),
        ("enterprise_figures", 5, "enterprise_id"),
    }
    assert rejected[("enterprises", 7, "chain_link")].reason == "names no link of the industry chains"
    assert rejected[("enterprise_figures", 5, "enterprise_id")].reason == "names no enterprise"
    assert rejected[("enterprises", 3, "(row)")].reason == "a row must be a JSON object"
    assert rejected[("enterprises", 4, "founded_on")].reason == "clrq does not have the form %Y%m%d"
    assert rejected[("enterprises", 2, "industry_code")].key == credit_code(20, 2)
    health = monitor(app, "rows-bad").health
    assert health.status == "degraded" and health.batch("enterprises").rejected == 6
    assert mark(app, "rows-bad", "enterprises").since is not None  # rejections do not hold it back


def test_the_app_syncs_the_platform_in_the_background(app, platform, monkeypatch):
    fill(platform, 21, enterprises=2, figures=1)
    # the thread's first tick would come after sync_interval_s: the test ticks itself
    monkeypatch.setattr(CaseSyncer, "start", lambda self: None)
    [syncer] = [s for s in start_syncers(app.server) if s.name == "background"]
    assert syncer.sync is sync_platform and syncer.interval == timedelta(seconds=3600)
    result = syncer.tick(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    assert result.report.imported == 3 + 2 + 1
    assert len(stored_enterprises(app, 21)) == 2


def test_the_command_line_syncs_and_prints_each_contract_and_rejection(app, platform):
    chain = fill(platform, 22, enterprises=0, figures=0)
    platform.rows["enterprises"] = [enterprise_row(22, 1, chain), enterprise_row(22, 2, chain, hydm="x")]
    runner = app.server.test_cli_runner()
    done = runner.invoke(args=["enterprises", "sync", "full", "--restart"])
    assert done.exit_code == 0, done.output
    assert "enterprises: imported 1, updated 0, rejected 1" in done.output
    assert f"enterprises row 2 ({credit_code(22, 2)}), field 'industry_code'" in done.output
    refused = runner.invoke(args=["enterprises", "sync", "park-store"])
    assert refused.exit_code == 1 and "not sharing_platform" in refused.output


def test_checking_the_source_on_the_sources_page_syncs_it(app, platform):
    fill(platform, 23, enterprises=3, figures=0)
    for rows in platform.rows.values():  # changed after the background test's sync of this source
        for row in rows:
            row["gxsj"] = "2026-12-03 09:00:00"
    with app.server.app_context():
        health = get_services().snapshots.check("background")
    assert health.batch("enterprises") is not None
    assert set(stored_enterprises(app, 23)) == {credit_code(23, n) for n in (1, 2, 3)}
