"""The Sources page's feeds panel (issue 9, step 6) on the real Mosquitto: bad payloads published
to a topic of this test's own go through the mqtt source and the feed worker, and the page shows
them counted by reason, in English and Chinese, beside the good readings, the feed's rate, lag
and last message."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from apps import build_app

from data_sources.feeds import problems as why
from live.worker import FeedWorker
from services.feed_status import feed_statuses
from tests.brokers import mqtt_sources_file

pytestmark = pytest.mark.integration
TOPIC = f"onescreen-test/{uuid.uuid4().hex[:12]}/sources"
SENSOR = "urn:dev:gs-001"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources-feeds")
    sources = mqtt_sources_file(folder, TOPIC, title="{en: Park sensors, zh: 园区传感器}")
    return build_app(folder, demo_cases=300, sources_file=sources, demo_live=False).server


def _text(component) -> str:
    return json.dumps(component, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def publish(payloads: list[bytes]) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:12]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    try:
        for payload in payloads:
            info = client.publish(f"{TOPIC}/bad", payload, qos=1)
            info.wait_for_publish(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_bad_payloads_through_the_worker_show_on_the_sources_page_by_reason(server):
    from flask_login import login_user

    from pages import sources as page
    from security.users import find, principal_of
    from services.context import get_services

    worker = FeedWorker(server, owner=f"it-{uuid.uuid4().hex[:8]}")
    try:
        assert worker.tick(datetime.now(UTC))["listening"] == 1
        now = datetime.now(UTC).replace(microsecond=0)
        good = [
            {
                "bn": f"{SENSOR}:",
                "bt": (now - timedelta(seconds=30)).timestamp(),
                "n": "ch4",
                "u": "%LEL",
                "v": 1.5,
            }
        ]
        payloads = [
            json.dumps(good).encode(),
            json.dumps(good).encode(),  # again: a duplicate, not a refusal
            b"not json at all",
            b"not json at all",
            b'[{"bn": "urn:dev:gs-001:", "n": "ch4", "v": NaN}]',
            json.dumps([{"bn": "urn:dev:nobody-001:", "n": "ch4", "u": "%LEL", "v": 3.0}]).encode(),
            json.dumps([{"bn": f"{SENSOR}:", "n": "ch4", "u": "ppm", "v": 1}]).encode(),
            json.dumps([{"bn": f"{SENSOR}:", "bt": 4102444800, "n": "ch4", "v": 1}]).encode(),
        ]
        publish(payloads)
        counts = worker.counts["park-sensors"]
        deadline = time.monotonic() + 30
        while counts.messages < len(payloads):
            assert time.monotonic() < deadline, f"only {counts.messages} messages arrived"
            time.sleep(0.1)
        worker.tick(datetime.now(UTC))  # saves the counts where the page reads them
        with server.test_request_context("/"):
            login_user(principal_of(find(get_services().engine, "leader")))
            (feed,) = feed_statuses()
            english, chinese = _text(page.make_body("en")), _text(page.make_body("zh"))
    finally:
        worker.close()
    assert feed.rejected == {
        why.NOT_JSON: 2,
        why.NOT_FINITE: 1,
        why.UNKNOWN_SENSOR: 1,
        why.WRONG_UNIT: 1,
        why.IN_FUTURE: 1,
    }
    assert (feed.messages, feed.accepted, feed.stored, feed.duplicates) == (8, 2, 1, 1)
    assert feed.rejected_total == 6
    assert feed.per_minute is not None and feed.per_minute > 0
    assert feed.lag is not None and timedelta(seconds=25) <= feed.lag < timedelta(minutes=5)
    assert feed.last_message_at is not None and feed.last_message_at >= now - timedelta(seconds=5)
    # the last message (a future time) was refused: the feed is degraded, and says why
    assert (feed.state, feed.reason) == ("degraded", "refused")
    for words in ("Not JSON: 2", "Not a finite number: 1", "Unknown sensor: 1", "Wrong unit: 1",
                  "Time in the future: 1", "The latest message had 1 refused record(s)", "Park sensors"):  # fmt: skip
        assert words in english, words
    for words in (
        "不是 JSON: 2",
        "不是有限数值: 1",
        "未登记的传感器: 1",
        "单位错误: 1",
        "时间在未来: 1",
        "园区传感器",
    ):
        assert words in chinese, words
