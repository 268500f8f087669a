"""The contract suite's factories: for each adapter kind, a working configuration on fixture data
and a way to take its source away and bring it back. An adapter joins the suite in
test_adapter_contract.py by adding a factory here (to LEAD_FACTORIES); a kind without one fails the
suite, so no adapter ships untested."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class Setup:
    """A working configuration of one adapter on fixture data, and a way to take its source
    away and bring it back (a file renamed, a server stopped)."""

    options: dict[str, Any]
    base_dir: Path
    contract: str
    make_unavailable: Callable[[], None]
    make_available: Callable[[], None]
    cleanup: Callable[[], None] = lambda: None  # stops what the factory started (a broker)


Factory = Callable[[Path], Setup]


def _hideable(path: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    hidden = path.with_name(path.name + ".away")
    return (lambda: path.rename(hidden)), (lambda: hidden.rename(path))


CASES_CSV = """\
案件编号,来源渠道,领域,案件类型,状态,上报时间,处置时限,经度,纬度,地址,问题描述
SJZ-2024-000101,hotline_12345,urban_management,garbage_overflow,accepted,2024-03-01 08:15:00,2024-03-02 08:15:00,114.6021,38.0412,裕华区长江大道与天山大街交口,垃圾桶满溢
SJZ-2024-000102,grid_patrol,urban_management,road_damage,dispatched,2024-03-01 09:40:00,2024-03-03 09:40:00,114.6105,38.0388,天山大街中段,"路面破损, 约两平方米"
SJZ-2024-000103,video_ai,work_safety,fire_lane_blocked,closed,2024-03-01 10:05:00+08:00,,114.5987,38.0440,黄河大道12号,消防通道被占用
"""


def csv_setup(tmp_path: Path) -> Setup:
    path = tmp_path / "cases.csv"
    path.write_text(CASES_CSV, encoding="gb18030")
    columns = {
        "案件编号": "id", "来源渠道": "channel", "领域": "domain", "案件类型": "case_type", "状态": "status",
        "上报时间": "reported_at", "处置时限": "sla_deadline", "经度": "lon", "纬度": "lat",
        "地址": "address", "问题描述": "description",
    }  # fmt: skip
    options = {
        "path": "cases.csv",
        "contract": "cases",
        "encoding": "gb18030",
        "timezone": "Asia/Shanghai",
        "columns": columns,
    }
    away, back = _hideable(path)
    return Setup(options, tmp_path, "cases", away, back)


def geojson_setup(tmp_path: Path) -> Setup:
    path = tmp_path / "layer.geojson"
    shutil.copy(FIXTURES / "geojson" / "good" / "good-featurecollection.geojson", path)
    away, back = _hideable(path)
    return Setup({"path": "layer.geojson", "layer": "parts"}, tmp_path, "features", away, back)


def open311_setup(tmp_path: Path) -> Setup:
    path = tmp_path / "requests.xml"
    shutil.copy(FIXTURES / "open311" / "toronto_requests_many.xml", path)
    options = {"path": "requests.xml", "service_types": {"CSROWR-12": "road_damage"}, "strict": True}
    away, back = _hideable(path)
    return Setup(options, tmp_path, "cases", away, back)


# The built-in file adapters' factories.
FACTORIES: dict[str, Factory] = {"csv": csv_setup, "geojson": geojson_setup, "open311": open311_setup}


def sql_setup(tmp_path: Path) -> Setup:
    from store.bulk import write_frame
    from store.engine import make_engine
    from store.migrate import upgrade
    from store.models import CONTRACT_TABLES

    path = tmp_path / "store.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    cases = pd.DataFrame(
        {
            "id": ["C-1", "C-2"],
            "channel": ["hotline_12345", "grid_patrol"],
            "domain": ["urban_management", "work_safety"],
            "case_type": ["road_damage", "fire_lane_blocked"],
            "status": ["accepted", "closed"],
            "reported_at": pd.to_datetime(["2024-03-01T08:00:00Z", "2024-03-01T09:00:00Z"], utc=True),
        }
    )
    with engine.begin() as connection:
        write_frame(connection, CONTRACT_TABLES["cases"], cases)
    engine.dispose()
    away, back = _hideable(path)
    return Setup({"url": f"sqlite:///{path}", "contracts": ["cases"]}, tmp_path, "cases", away, back)


def mqtt_setup(tmp_path: Path) -> Setup:
    import json
    import uuid

    import paho.mqtt.client as mqtt

    from tests.brokers import PrivateMosquitto

    broker = PrivateMosquitto(tmp_path)  # stopped and started by the suite: never the shared one
    broker.start()
    topic = f"contract/{uuid.uuid4().hex}"
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()
    pack = [
        {"bn": "urn:dev:aq-001:", "bt": 1709280000, "n": "pm25", "u": "ug/m3", "v": 41.0},
        {"n": "pm10", "v": 80},
    ]
    # retained, so a subscriber that arrives later gets it at once
    publisher.publish(topic, json.dumps(pack), qos=1, retain=True).wait_for_publish(timeout=10)
    publisher.disconnect()
    publisher.loop_stop()

    def away() -> None:
        broker.stop()
        time.sleep(0.5)  # a connected client sees the connection drop a moment later

    options = {"port": broker.port, "topics": [topic], "client_id": f"contract-{uuid.uuid4().hex[:12]}",
               "session_expiry_s": 60, "connect_timeout_s": 2, "reconnect_max_delay_s": 2}  # fmt: skip
    return Setup(options, tmp_path, "readings", away, broker.start, cleanup=broker.stop)


def demo_feed_setup(tmp_path: Path) -> Setup:
    from sqlalchemy import insert

    from store.engine import make_engine
    from store.migrate import upgrade
    from store.models import Sensor

    path = tmp_path / "park.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    thresholds = {"ch4": {"unit": "%LEL", "warning": 20, "critical": 50}}
    with engine.begin() as connection:
        connection.execute(
            insert(Sensor.__table__),
            [
                {
                    "id": f"urn:dev:gs-00{i}",
                    "kind": "gas",
                    "lon": 114.6,
                    "lat": 38.0,
                    "thresholds": thresholds,
                }
                for i in (1, 2)
            ],
        )
    engine.dispose()
    away, back = _hideable(path)
    return Setup(
        {"url": f"sqlite:///{path}", "tick_s": 0.2, "catch_up_min": 30}, tmp_path, "readings", away, back
    )


def sql_cases_setup(tmp_path: Path) -> Setup:
    """A grid vendor's own case table on an SQLite file (pinyin columns, integer status codes,
    naive local times), read through a mapping; taking the file away makes it unavailable."""
    path = tmp_path / "vendor.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as c, c:
        c.execute("CREATE TABLE aj (bh INTEGER PRIMARY KEY, zt INTEGER, lx TEXT, sj TIMESTAMP, gx TIMESTAMP)")
        c.executemany(
            "INSERT INTO aj VALUES (?, ?, ?, ?, ?)",
            [
                (1, 1, "um.street_light_out", "2024-03-01 08:00:00", "2024-03-01 08:05:00"),
                (2, 2, "um.illegal_parking", "2024-03-01 09:00:00", "2024-03-01 09:30:00"),
            ],
        )
    mapping = {
        "columns": {"zt": "status", "lx": "case_type", "sj": "reported_at"},
        "values": {"status": {1: "reported", 2: "accepted"}},
        "constants": {"channel": "grid_patrol", "domain": "urban_management"},
        "id_template": "V-{bh}",
        "timezone": "Asia/Shanghai",
    }
    options = {
        "url": f"sqlite:///{path}",
        "table": "aj",
        "updated_column": "gx",
        "key_column": "bh",
        "mapping": mapping,
    }
    away, back = _hideable(path)
    return Setup(options, tmp_path, "cases", away, back)


def sharing_platform_setup(tmp_path: Path) -> Setup:
    """A data-sharing platform on loopback (tests/sharing_server.py) serving two enterprises in
    pinyin fields; taking it away makes it answer 503 to everything."""
    from sharing_server import APP_KEY, APP_SECRET, PATHS, running_platform

    from domain.credit_code import check_character

    stack = contextlib.ExitStack()
    platform, url = stack.enter_context(running_platform())
    codes = [body + check_character(body) for body in ("91320500000000001", "91320500000000002")]
    platform.rows["enterprises"] = [
        {
            "tyshxydm": code,
            "qymc": f"测试企业{n}",
            "clrq": "20150312",
            "hydm": "3841",
            "gxsj": "2024-03-01 08:00:00",
        }
        for n, code in enumerate(codes, 1)
    ]
    mapping = {
        "resources": {
            "enterprises": {
                "path": PATHS["enterprises"].removeprefix("/gateway"),
                "updated": "gxsj",
                "fields": {"id": "tyshxydm", "credit_code": "tyshxydm", "name": "qymc",
                           "founded_on": "clrq", "industry_code": "hydm"},
                "dates": {"founded_on": "%Y%m%d"},
            }
        }
    }  # fmt: skip
    options = {"base_url": url, "app_key": APP_KEY, "app_secret": APP_SECRET, "page_size": 1,
               "retries": 0, "timeout_s": 5, "mapping": mapping}  # fmt: skip

    def away() -> None:
        platform.down = True

    def back() -> None:
        platform.down = False

    return Setup(options, tmp_path, "enterprises", away, back, cleanup=stack.close)


LEAD_FACTORIES: dict[str, Factory] = {
    "sql": sql_setup,
    "mqtt": mqtt_setup,
    "demo_feed": demo_feed_setup,
    "sql_cases": sql_cases_setup,
    "sharing_platform": sharing_platform_setup,
}

ALL_FACTORIES = {**FACTORIES, **LEAD_FACTORIES}
