"""Benchmark: readings per second through the feed intake (decode and checks, as the MQTT adapter
runs them on each message) for SenML packs shaped as replay_senml.py sends them (one station's
hour, seven quantities, one pack a message) and for mapped plain JSON; with one bad payload mixed
in after every --bad-every packs. One figure a line as `name: value unit`. Asserts nothing.

usage: .venv/bin/python bench/bench_feed_decode.py [--packs 20000] [--sensors 200] [--bad-every 50]"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_sources.feeds.intake import IntakeLimits, SenmlFormat, SensorCatalog, decode_payload  # noqa: E402
from data_sources.feeds.plain_json import JsonFormat  # noqa: E402

QUANTITIES = (("pm25", "ug/m3"), ("pm10", "ug/m3"), ("so2", "ug/m3"), ("no2", "ug/m3"),
              ("co", "mg/m3"), ("o3", "ug/m3"), ("temp", "Cel"))  # fmt: skip
BAD = [  # replay_senml.py's
    b"not json at all",
    b'{"bn": "x"',
    b'[{"n": "pm25", "v": NaN}]',
    json.dumps([{"bn": "urn:dev:unknown-sensor:", "n": "pm25", "u": "ug/m3", "v": 1}]).encode(),
    json.dumps([{"bn": "urn:dev:far-future:", "bt": 4102444800, "n": "pm25", "u": "ug/m3", "v": 1}]).encode(),
    b"[" + b'{"n":"pm25","v":1},' * 60000 + b'{"n":"pm25","v":1}]',
]


def senml_payloads(packs: int, sensors: int, bad_every: int, start: datetime) -> list[bytes]:
    out = []
    for i in range(packs):
        sensor, hour = i % sensors, i // sensors
        records = [
            {"n": n, "u": u, "v": round(10 + (i * 7 + k) % 90 + 0.1 * k, 1)}
            for k, (n, u) in enumerate(QUANTITIES)
        ]
        records[0] = {
            "bn": f"urn:dev:aq-{sensor + 1:03d}:",
            "bt": (start + timedelta(hours=hour)).timestamp(),
            **records[0],
        }
        out.append(json.dumps(records).encode())
        if bad_every and i % bad_every == bad_every - 1:
            out.append(BAD[(i // bad_every) % len(BAD)])
    return out


def json_payloads(packs: int, sensors: int, start: datetime) -> list[bytes]:
    return [
        json.dumps({"dev": f"aq-{i % sensors + 1:03d}", "ts": (start + timedelta(hours=i // sensors)).timestamp(),
                    **{n: float(10 + (i + k) % 90) for k, (n, _) in enumerate(QUANTITIES)}}).encode()
        for i in range(packs)
    ]  # fmt: skip


def run(payloads: list[bytes], fmt, now: datetime, catalog: SensorCatalog) -> tuple[int, int, float]:
    limits = IntakeLimits()
    readings = refused = 0
    started = time.perf_counter()
    for payload in payloads:
        intake = decode_payload(payload, fmt, now, limits, catalog)
        readings += len(intake.readings)
        refused += len(intake.problems)
    return readings, refused, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packs", type=int, default=20_000)
    parser.add_argument("--sensors", type=int, default=200)
    parser.add_argument("--bad-every", type=int, default=50)
    args = parser.parse_args()
    now = datetime.now(UTC)
    start = now - timedelta(hours=args.packs // args.sensors + 1)
    units = {q: u for q, u in QUANTITIES if q != "temp"}
    catalog = SensorCatalog({f"urn:dev:aq-{i + 1:03d}": units for i in range(args.sensors)})
    senml = senml_payloads(args.packs, args.sensors, args.bad_every, start)
    readings, refused, seconds = run(senml, SenmlFormat(), now, catalog)
    print(f"senml messages: {len(senml)} count")
    print(f"senml readings accepted: {readings} count")
    print(f"senml records refused: {refused} count")
    print(f"senml decode and checks: {readings / seconds:,.0f} readings/s")
    print(f"senml decode and checks per message: {seconds / len(senml) * 1e6:.1f} us")
    mapping = JsonFormat(
        sensor="dev", sensor_prefix="urn:dev:", time="ts", quantities={q: {"unit": u} for q, u in QUANTITIES}
    )
    plain = json_payloads(args.packs, args.sensors, start)
    readings, refused, seconds = run(plain, mapping, now, catalog)
    print(f"plain json readings accepted: {readings} count")
    print(f"plain json decode and checks: {readings / seconds:,.0f} readings/s")


if __name__ == "__main__":
    main()
