"""MqttReadingSource's options and the calls that need no broker (the broker tests are in
tests/integration/test_mqtt_feed.py, the contract suite runs it against a private Mosquitto)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from data_sources.adapters.mqtt import MqttReadingSource
from data_sources.base import INCREMENTAL, PUSH
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.feeds.intake import SenmlFormat
from data_sources.feeds.plain_json import JsonFormat
from data_sources.registry import discover


def test_it_is_registered_as_a_pushing_readings_source():
    adapter = discover().get("mqtt")
    assert adapter is MqttReadingSource
    assert adapter.contracts == {"readings"} and adapter.capabilities == {PUSH, INCREMENTAL}


def test_defaults_are_qos_1_a_stable_client_id_and_senml():
    source = MqttReadingSource("park-sensors", {"topics": ["park/#"]})
    assert source.options.qos == 1
    assert source.client_id == "onescreen-park-sensors"
    assert isinstance(source.options.format, SenmlFormat)
    assert source.options.limits.max_payload_bytes < 1_000_000


def test_a_plain_json_mapping_is_read_from_the_options():
    options = {
        "topics": ["park/+/json"],
        "format": {"kind": "json", "sensor": "dev", "sensor_prefix": "urn:dev:", "time": "ts",
                   "quantities": {"pm25": {"unit": "ug/m3"}, "CO": {"quantity": "co", "unit": "mg/m3"}}},
    }  # fmt: skip
    fmt = MqttReadingSource("s", options).options.format
    assert isinstance(fmt, JsonFormat) and fmt.quantities["CO"].quantity == "co"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({}, "topics"),
        ({"topics": []}, "topics"),
        ({"topics": ["t"], "port": 0}, "port"),
        ({"topics": ["t"], "qos": 3}, "qos"),
        ({"topics": ["t"], "format": {"kind": "xml"}}, "format"),
        ({"topics": ["t"], "format": {"kind": "json", "sensor": "dev"}}, "quantities"),
        ({"topics": ["t"], "format": {"kind": "senml", "names": {"a": {"sensor_id": "x"}}}}, "quantity"),
        ({"topics": ["t"], "limits": {"max_payload_bytes": 0}}, "max_payload_bytes"),
        ({"topics": ["t"], "limits": {"max_age": 3}}, "max_age"),
    ],
    ids=["no-topics", "empty-topics", "port", "qos", "format-kind", "json-without-quantities",
         "name-without-quantity", "payload-cap", "unknown-limit"],
)  # fmt: skip
def test_bad_options_are_refused_naming_the_key(options, named):
    with pytest.raises(SourceMisconfigured, match=named):
        MqttReadingSource("s", options)


def test_before_open_it_has_nothing_to_serve():
    source = MqttReadingSource("s", {"topics": ["t"]})
    with pytest.raises(SourceUnavailable, match="not connected"):
        source.fetch("readings")
    with pytest.raises(ContractError, match="cases"):
        source.fetch("cases")
    source.close()  # never raises, opened or not


def test_listen_refuses_a_context_it_does_not_know():
    source = MqttReadingSource("s", {"topics": ["t"]})
    with pytest.raises(SourceMisconfigured, match="layer"):
        source.listen(lambda batch: None, lambda up, why: None, layer="x")


def test_a_senml_name_mapping_is_read_from_the_options():
    options = {
        "topics": ["t"],
        "format": {"kind": "senml", "separator": "/",
                   "names": {"urn:dev:ow:10e2073a01080063": {"sensor_id": "urn:dev:ow-1", "quantity": "humidity"}}},
    }  # fmt: skip
    fmt = MqttReadingSource("s", options).options.format
    assert isinstance(fmt, SenmlFormat)
    assert fmt.split("urn:dev:ow:10e2073a01080063") == ("urn:dev:ow-1", "humidity")
    assert fmt.split("2001:db8::2/temperature") == ("2001:db8::2", "temperature")


def test_a_password_variable_that_is_not_set_is_named_at_open(monkeypatch):
    monkeypatch.delenv("ONESCREEN_TEST_MQTT_PASSWORD", raising=False)
    options = {"topics": ["t"], "username": "onescreen", "password_env": "ONESCREEN_TEST_MQTT_PASSWORD"}
    source = MqttReadingSource("s", options)
    with pytest.raises(SourceMisconfigured, match="ONESCREEN_TEST_MQTT_PASSWORD is not set"):
        source.open()


def test_the_readmes_examples_are_options_the_adapter_takes():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Sensor feeds (MQTT)", 1)[1].split("\n## ", 1)[0]
    blocks = [yaml.safe_load(block.split("```", 1)[0]) for block in section.split("```yaml\n")[1:]]
    assert len(blocks) == 3
    options = blocks[0]["park-sensors"]["options"]
    assert blocks[0]["park-sensors"]["adapter"] == "mqtt"
    assert MqttReadingSource("park-sensors", options).options.client_id == "onescreen-park"
    for block in blocks[1:]:
        MqttReadingSource("park-sensors", {**options, **block})
