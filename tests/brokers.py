"""MQTT sources files for tests, and (re-exported from tests/private_services.py) the private
brokers the tests that stop and restart one start on a free port."""

from __future__ import annotations

from pathlib import Path

# the private servers live in tests/private_services.py; these names stay importable from here
from tests.private_services import MOSQUITTO, REDIS_SERVER, PrivateMosquitto, PrivateRedis, PrivateServer

__all__ = [
    "MOSQUITTO",
    "REDIS_SERVER",
    "PrivateMosquitto",
    "PrivateRedis",
    "PrivateServer",
    "mqtt_sources_file",
]


def mqtt_sources_file(folder: Path, topic: str, *, title: str = "", **options: object) -> Path:
    """A sources file in `folder`: the park's store serving every panel, and `park-sensors`, an
    mqtt source on the shared Mosquitto subscribed to `topic`/# with a client id of its own
    (`title`: its YAML title mapping, e.g. "{en: Park sensors, zh: 园区传感器}"; `options`: more
    of the source's options or others in their place, e.g. a private broker's `port`)."""
    import json
    import uuid

    chosen = {
        "topics": [f"{topic}/#"],
        "client_id": f"onescreen-it-{uuid.uuid4().hex[:12]}",
        "session_expiry_s": 60,
    }
    chosen.update(options)
    lines = "".join(f"      {key}: {json.dumps(value)}\n" for key, value in chosen.items())
    path = folder / "sources.yaml"
    path.write_text(
        f"""sources:
  park-store:
    adapter: sql
    serves: [cases, case_events, sensors, readings, alerts, features, enterprises, enterprise_figures, chains]
    options: {{url: "${{store_url}}"}}
  park-sensors:
    adapter: mqtt
    {"title: " + title if title else ""}
    options:
{lines}""",
        encoding="utf-8",
    )
    return path
