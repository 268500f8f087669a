"""The in-process bus (live/bus.py): what is published on a channel reaches that channel's
subscribers only, until they unsubscribe, and one failing subscriber silences no other."""

from __future__ import annotations

import logging

from live.bus import UP, LocalBus, RedisBus, make_bus


def test_a_message_reaches_the_channels_subscribers_only():
    bus = LocalBus()
    alerts: list[dict] = []
    other: list[dict] = []
    bus.subscribe("alerts", alerts.append)
    bus.subscribe("cases", other.append)
    assert bus.publish("alerts", {"seq": 7}) is True
    assert alerts == [{"seq": 7}] and other == []
    assert bus.state == UP


def test_a_subscriber_gets_its_own_copy_and_nothing_after_unsubscribing():
    bus = LocalBus()
    first: list[dict] = []
    second: list[dict] = []
    unsubscribe = bus.subscribe("alerts", first.append)
    bus.subscribe("alerts", second.append)
    message = {"seq": 1}
    bus.publish("alerts", message)
    first[0]["seq"] = 99  # a subscriber changing what it got changes nothing for the others
    assert second == [{"seq": 1}] and message == {"seq": 1}
    unsubscribe()
    bus.publish("alerts", {"seq": 2})
    assert [m["seq"] for m in first] == [99] and [m["seq"] for m in second] == [1, 2]


def test_a_failing_subscriber_is_logged_and_the_others_still_hear(caplog):
    bus = LocalBus()
    heard: list[dict] = []

    def broken(_message: dict) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe("alerts", broken)
    bus.subscribe("alerts", heard.append)
    with caplog.at_level(logging.ERROR, logger="live.bus"):
        assert bus.publish("alerts", {"seq": 3}) is True
    assert heard == [{"seq": 3}]
    assert "a subscriber of bus channel 'alerts' failed" in caplog.text


def test_the_profile_picks_the_bus():
    assert isinstance(make_bus(None, "onescreen:x:"), LocalBus)
    bus = make_bus("redis://127.0.0.1:6379/0", "onescreen:x:")
    assert isinstance(bus, RedisBus) and bus.prefix == "onescreen:x:"
    bus.close()


def test_a_publish_to_an_unreachable_redis_says_false_and_logs_once(caplog):
    bus = RedisBus("redis://127.0.0.1:1/0", "onescreen:unreachable:")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="live.bus"):
        assert bus.publish("alerts", {"seq": 1}) is False
        assert bus.publish("alerts", {"seq": 2}) is False
    assert caplog.text.count("cannot publish to Redis") == 1
