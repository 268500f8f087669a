"""/metrics (ops/metrics.py, ops/store_metrics.py): the counters move with the requests served,
callbacks are timed by their declared output only, cache reads are counted as hits and misses,
the store's figures are the store's, and only allowed networks or a token may read it — a
forged X-Forwarded-For included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from apps import build_app
from dash_calls import callback_body, output_named
from ops_apps import copied_app
from prometheus_client.parser import text_string_to_metric_families
from signin import signed_in
from sqlalchemy import func, insert, select

from live.worker import FeedCounts
from ops.store_metrics import StoreCollector
from security import tokens
from services.cache import cache
from services.context import KEY
from services.feed_counts import COUNTS_KEY
from services.figure_cache import cached_figure
from store.models import Alert, Meta

OUTSIDE = "203.0.113.9"  # TEST-NET-3: never loopback, never in metrics_allow here


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("ops-metrics"))


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one /metrics answer."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before, after, name: str, **labels) -> float:
    """How far a sample moved between two scrapes."""
    return value(after, name, **labels) - value(before, name, **labels)


REQUESTS = "onescreen_http_requests_total"


def test_request_counters_move_by_the_requests_served(app):
    client = app.server.test_client()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/api/v1/alerts").status_code == 401  # anonymous: refused, still counted
    assert client.get("/no-such-page").status_code == 302  # a page: to the sign-in form
    after = scrape(client)
    assert moved(before, after, REQUESTS, method="GET", kind="api", status="401") == 3
    assert moved(before, after, REQUESTS, method="GET", kind="page", status="302") == 1
    assert moved(before, after, "onescreen_http_request_duration_seconds_count", kind="api") == 3
    # the first scrape itself was counted once it had answered
    assert value(after, REQUESTS, method="GET", kind="ops", status="200") >= 1


def test_a_missing_page_is_counted_with_the_404_it_finally_got(app):
    client, _ = signed_in(app, "leader")
    before = scrape(client)
    assert client.get("/no-such-page").status_code == 404
    after = scrape(client)
    assert moved(before, after, REQUESTS, method="GET", kind="page", status="404") == 1


def test_callbacks_are_timed_by_their_declared_output_and_nothing_else(app):
    client, csrf = signed_in(app, "leader")
    output = output_named(app, "shell-nav.children")
    body = callback_body(app, output, {"shell-lang.value": "zh", "shell-url.pathname": "/"})
    before = scrape(client)
    assert client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf}).status_code == 200
    forged = dict(body, output="made-up-output.children")
    assert (
        client.post("/_dash-update-component", json=forged, headers={"X-CSRFToken": csrf}).status_code == 403
    )
    after = scrape(client)
    count = "onescreen_dash_callback_duration_seconds_count"
    assert moved(before, after, count, output=output) == 1
    assert moved(before, after, count, output="unknown") == 1
    assert not any(dict(labels).get("output") == "made-up-output.children" for _name, labels in after)
    assert moved(before, after, REQUESTS, method="POST", kind="callback", status="200") == 1


def test_cache_reads_are_counted_as_hits_and_misses(app):
    client = app.server.test_client()
    before = scrape(client)
    with app.server.app_context():
        assert cache.get("ops-test:plain") is None
        cache.set("ops-test:plain", 1)
        assert cache.get("ops-test:plain") == 1
        computed = []
        for _ in range(2):
            cached_figure("ops-test:figure", ["cases"], lambda: computed.append(1) or len(computed))
    assert computed == [1]
    after = scrape(client)

    def reads(cache_name, result):
        return moved(before, after, "onescreen_cache_requests_total", cache=cache_name, result=result)

    assert (reads("read", "miss"), reads("read", "hit")) == (1, 1)
    # the figure cache looks twice on a miss (again under its lock) and once on a hit
    assert (reads("figure", "miss"), reads("figure", "hit")) == (2, 1)


def test_alerts_by_state_are_the_whole_parks_from_the_store(app):
    engine = app.server.extensions[KEY].engine
    with engine.connect() as connection:
        expected = dict(connection.execute(select(Alert.state, func.count()).group_by(Alert.state)).all())
    samples = scrape(app.server.test_client())
    assert sum(expected.values()) > 0
    for state in ("raised", "acknowledged", "assigned", "escalated", "resolved", "closed"):
        assert value(samples, "onescreen_alerts", state=state) == expected.get(state, 0)
    assert value(samples, "onescreen_store_metrics_up") == 1


def test_feed_counts_and_lag_are_the_workers_saved_figures(app):
    engine = app.server.extensions[KEY].engine
    now = datetime.now(UTC)
    counts = FeedCounts(received=120, stored=100, duplicates=20, messages=7, last_message_at=now)
    counts.rejected.update({"out_of_range": 4, "unknown_sensor": 2})
    counts.newest_reading_at = now - timedelta(seconds=90)
    with engine.begin() as connection:
        connection.execute(insert(Meta).values(key=COUNTS_KEY.format("demo-feed"), value=counts.as_json()))
    families = {f.name: f for f in StoreCollector(app.server, cache_s=0).collect()}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples
    }
    feed = (("source", "demo-feed"),)
    assert samples[("onescreen_feed_readings_received_total", feed)] == 120
    assert samples[("onescreen_feed_readings_stored_total", feed)] == 100
    assert samples[("onescreen_feed_readings_duplicate_total", feed)] == 20
    assert samples[("onescreen_feed_readings_rejected_total", (("reason", "out_of_range"), *feed))] == 4
    assert samples[("onescreen_feed_readings_rejected_total", (("reason", "unknown_sensor"), *feed))] == 2
    assert 90 <= samples[("onescreen_feed_lag_seconds", feed)] < 120
    assert samples[("onescreen_feed_state", (*feed, ("state", "ok")))] == 1


def test_open_live_streams_are_counted_while_open(app):
    duty, _ = signed_in(app, "duty_officer")
    name = "onescreen_live_clients"
    before = value(scrape(duty), name, stream="alerts")
    stream = duty.get("/live/alerts", buffered=False)
    assert stream.status_code == 200
    assert value(scrape(duty), name, stream="alerts") == before + 1
    stream.close()
    assert value(scrape(duty), name, stream="alerts") == before


def test_metrics_refuse_an_address_outside_the_allowed_networks(app):
    client = app.server.test_client()
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDE})
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"
    # without proxy_count the header is nobody's word: loopback named in it does not pass
    forged = client.get(
        "/metrics", environ_base={"REMOTE_ADDR": OUTSIDE}, headers={"X-Forwarded-For": "127.0.0.1"}
    )
    assert forged.status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_a_token_that_may_view_the_sources_reads_metrics_from_anywhere(app):
    engine = app.server.extensions[KEY].engine
    leader, _ = tokens.issue(engine, "prometheus", "leader", actor="test")
    viewer, _ = tokens.issue(engine, "a wall", "viewer", actor="test")
    client = app.server.test_client()
    outside = {"REMOTE_ADDR": OUTSIDE}
    assert scrape(client, environ_base=outside, headers={"Authorization": f"Bearer {leader}"})
    for token in (viewer, "os_not-a-token", leader + "x"):
        answer = client.get("/metrics", environ_base=outside, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403


@pytest.fixture(scope="module")
def proxied(app, tmp_path_factory):
    """An app behind one trusted proxy that lets one monitoring network read /metrics."""
    return copied_app(
        app, tmp_path_factory.mktemp("ops-proxied"), proxy_count=1, metrics_allow=["198.51.100.0/24"]
    )


def test_behind_a_proxy_the_address_the_proxy_saw_decides(proxied):
    client = proxied.server.test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    def through_proxy(forwarded_for: str) -> int:
        return client.get(
            "/metrics", environ_base=proxy, headers={"X-Forwarded-For": forwarded_for}
        ).status_code

    assert through_proxy("198.51.100.7") == 200
    # the client wrote its own X-Forwarded-For; the proxy appended the address it really saw
    assert through_proxy("198.51.100.7, 203.0.113.9") == 403
    assert through_proxy("127.0.0.1, 203.0.113.9") == 403
    # loopback is not allowed when metrics_allow does not name it (the proxy itself is loopback)
    assert through_proxy("127.0.0.1") == 403


def test_bad_metrics_settings_are_refused_naming_the_key():
    from config.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=r"metrics_allow.*'10\.0\.0\.1/8'.*host bits"):
        load_settings(metrics_allow=["10.0.0.1/8"])
    with pytest.raises(SettingsError, match=r"metrics_allow.*'intranet'"):
        load_settings(metrics_allow=["intranet"])
    with pytest.raises(SettingsError, match="log_format"):
        load_settings(log_format="xml")
    assert json.loads(json.dumps(load_settings(profile="embedded").metrics_allow)) == [
        "127.0.0.0/8",
        "::1/128",
    ]
