"""An Open311 source polled into the store (services/open311_import.poll_open311 and its thread):
against a GeoReport server on loopback, each poll asks only for what changed since the newest
change it saw, imports through the one import service, and keeps the source's health for the
Sources page; a server that fails leaves the checkpoint and says so in the health."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from apps import build_app
from open311_server import running_endpoint
from sqlalchemy import select

from live.case_sync import CaseSyncer, start_syncers
from services.case_import import load_checkpoint
from services.open311_import import checkpoint_key, poll_open311
from store.models import Case

NAME = "city-311"


def request(ident, updated, **fields):
    return {
        "service_request_id": ident,
        "status": "open",
        "service_code": "CSROWR-12",
        "requested_datetime": "2026-12-01T09:00:00+08:00",
        "updated_datetime": updated,
        "lat": 39.9,
        "long": 116.4,
        **fields,
    }


@pytest.fixture(scope="module")
def served():
    with running_endpoint() as pair:
        yield pair


@pytest.fixture(scope="module")
def app(tmp_path_factory, served):
    _, url = served
    folder = tmp_path_factory.mktemp("open311-poll")
    sources = {
        "sources": {
            "park-store": {
                "adapter": "sql",
                "title": {"zh": "园区数据底座", "en": "Park data store"},
                "serves": ["cases", "case_events", "sensors", "readings", "alerts", "features"]
                + ["enterprises", "enterprise_figures", "chains"],
                "options": {"url": "${store_url}"},
            },
            NAME: {
                "adapter": "open311",
                "title": {"zh": "市12345平台", "en": "City 311"},
                "options": {
                    "url": url,
                    "service_types": {"CSROWR-12": "um.road_damaged"},
                    "strict": True,
                    "domain": None,
                    "timezone": "Asia/Shanghai",
                    "since_parameter": "updated_after",
                    "sync_interval_s": 60,
                },
            },
        }
    }
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    return build_app(folder, demo_cases=300, demo_live=False, sources_file=path)


def status_of(engine, case_id):
    with engine.connect() as connection:
        return connection.execute(select(Case.status).where(Case.id == case_id)).scalar_one_or_none()


def test_each_poll_asks_for_what_changed_and_keeps_the_health(app, served):
    state, _ = served
    engine = app.server.extensions["onescreen"].engine
    monitor = app.server.extensions["onescreen"].sources.monitors[NAME]
    state.body = json.dumps(
        [request("P-1", "2026-12-01T10:00:00+08:00"), request("P-2", "2026-12-01T11:00:00+08:00")]
    ).encode()
    with app.server.app_context():
        first = poll_open311(NAME, actor="poller")
        assert first is not None and first.report.summary == "imported 2, updated 0, rejected 0"
        assert "updated_after" not in state.paths[-1]  # the first poll asks for everything
        assert load_checkpoint(checkpoint_key(NAME)) == "2026-12-01T11:00:00+08:00"
        assert monitor.health.status == "ok" and monitor.health.batch("cases").accepted == 2

        state.body = json.dumps(
            [
                request("P-2", "2026-12-01 12:30:00", status="Closed"),  # no T, no zone: the park's
                request("P-3", "2026-12-01T12:00:00+08:00", service_code="NOPE"),
            ]
        ).encode()
        second = poll_open311(NAME, actor="poller")
        assert second is not None and second.report.summary == "imported 0, updated 1, rejected 1"
        assert "updated_after=2026-12-01T11%3A00%3A00%2B08%3A00" in state.paths[-1]
        assert status_of(engine, "P-2") == "closed"
        assert load_checkpoint(checkpoint_key(NAME)) == "2026-12-01T12:30:00+08:00"
        health = monitor.health
        assert health.status == "degraded" and health.batch("cases").rejected == 1
        [rejection] = app.server.extensions["onescreen"].sources.book.recent_rejections(NAME)
        assert (rejection.key, rejection.field) == ("P-3", "case_type")

        state.status = 503
        assert poll_open311(NAME, actor="poller") is None
        assert "503" in (monitor.health.last_error or "")
        assert load_checkpoint(checkpoint_key(NAME)) == "2026-12-01T12:30:00+08:00"
        state.status = 200


def test_a_source_that_is_not_open311_is_refused(app):
    from data_sources.errors import SourceMisconfigured

    with app.server.app_context(), pytest.raises(SourceMisconfigured, match="not an open311 source"):
        poll_open311("park-store")


def test_the_app_polls_the_source_in_the_background_one_process_at_a_time(app, served, monkeypatch):
    state, _ = served
    state.status = 200
    state.body = json.dumps([request("P-9", "2026-12-02T08:00:00+08:00")]).encode()
    # the thread's first tick would come after sync_interval_s (60 s): the test ticks itself
    monkeypatch.setattr(CaseSyncer, "start", lambda self: None)
    [syncer] = [s for s in start_syncers(app.server) if s.name == NAME]
    assert syncer.sync is poll_open311 and syncer.interval == timedelta(seconds=60)
    other = CaseSyncer(app.server, NAME, interval_s=60, owner="another process", sync=poll_open311)
    now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    assert syncer.tick(now).report.imported == 1
    assert other.tick(now + timedelta(seconds=60)) is None  # the first holds the lease
    assert status_of(app.server.extensions["onescreen"].engine, "P-9") == "accepted"


def test_checking_the_source_on_the_sources_page_polls_it(app, served):
    state, _ = served
    state.status = 200
    state.body = json.dumps([request("P-10", "2026-12-02T09:00:00+08:00")]).encode()
    with app.server.app_context():
        health = app.server.extensions["onescreen"].snapshots.check(NAME)
    # read through the import, which takes each case type's domain from the catalogue: no row
    # is rejected for the domain the source leaves to it
    assert (health.status, health.batch("cases").accepted, health.batch("cases").rejected) == ("ok", 1, 0)
    assert status_of(app.server.extensions["onescreen"].engine, "P-10") == "accepted"
