"""The data-sharing platform adapter's parts on their own: its mapping refused at start-up naming
the key, its options, update times as platforms send them, a token renewed before it lapses (a
fake clock), a platform that does not answer in time, and a has-more flag or offsets for paging."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sharing_server import APP_KEY, APP_SECRET, PATHS, running_platform

from data_sources.adapters.sharing_client import SharingClient, SharingClientOptions
from data_sources.adapters.sharing_mapping import ResourceMapping, SharingMapping, update_time
from data_sources.adapters.sharing_platform import SharingPlatformSource
from data_sources.case_mapping import MappingError, load_mapping
from data_sources.errors import SourceMisconfigured, SourceUnavailable

ROOT = Path(__file__).resolve().parents[2]
ENTERPRISES: dict[str, Any] = {
    "path": "/api/qy/jbxx",
    "fields": {"id": "tyshxydm", "name": "qymc", "industry_code": "hydm"},
}


def source(mapping=None, **options):
    given = {"base_url": "http://127.0.0.1:9/gateway", "app_key": APP_KEY, "app_secret": APP_SECRET,
             "mapping": mapping or {"resources": {"enterprises": ENTERPRISES}}, **options}  # fmt: skip
    return SharingPlatformSource("platform", given)


def test_the_example_mapping_loads_and_covers_the_three_contracts():
    mapping = load_mapping(ROOT / "config" / "imports" / "sharing_platform.yaml", SharingMapping)
    assert set(mapping.resources) == {"chains", "enterprises", "enterprise_figures"}
    assert mapping.resources["enterprises"].fields["credit_code"] == "tyshxydm"


@pytest.mark.parametrize(
    ("resources", "named"),
    [
        ({"enterprises": {**ENTERPRISES, "fields": {**ENTERPRISES["fields"], "qymc2": "x"}}}, "fields.qymc2"),
        (
            {"enterprises": {**ENTERPRISES, "fields": {"id": "tyshxydm", "name": "qymc"}}},
            "'industry_code' is required",
        ),
        ({"cases": ENTERPRISES}, "resources.cases"),
        ({"enterprises": {**ENTERPRISES, "dates": {"name": "%Y%m%d"}}}, "dates.name: a text field"),
        ({"enterprises": {**ENTERPRISES, "scale": {"lon": 0.5}}}, "scale.lon: no platform field gives"),
        ({"enterprises": {**ENTERPRISES, "colour": "red"}}, "colour"),
    ],
    ids=[
        "unknown-field",
        "required-missing",
        "not-a-contract",
        "date-form-on-text",
        "scale-unmapped",
        "unknown-key",
    ],
)
def test_a_mapping_that_makes_no_sense_is_refused_naming_the_key(resources, named):
    with pytest.raises(MappingError, match=named):
        source({"resources": resources})


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"app_secret_env": "X"}, "exactly one of `app_secret` and `app_secret_env`"),
        ({"base_url": "ftp://platform"}, "base_url"),
        ({"app_secret": None, "app_secret_env": "ONESCREEN_SECRET"}, "app_secret_env: .*the app's settings"),
        ({"paging": "cursor"}, "paging"),
        ({"page_size": 0}, "page_size"),
    ],
)
def test_bad_options_are_refused_naming_them(options, named):
    with pytest.raises(SourceMisconfigured, match=named):
        source(**options)


def test_the_source_offers_only_what_it_maps_and_is_incremental_only_with_update_times():
    assert source().contracts == {"enterprises"}
    assert source().capabilities == frozenset()
    # rows updated since a time need both the parameter and each row's update time
    assert source(since_param="gxsjq").capabilities == frozenset()
    stamped = {"resources": {"enterprises": {**ENTERPRISES, "updated": "gxsj"}}}
    assert source(stamped, since_param="gxsjq").capabilities == {"incremental"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01 10:00:00", datetime(2026, 12, 1, 2, 0, tzinfo=UTC)),  # the platform's zone
        ("2026-12-01T10:00:00+00:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        (1_764_554_400_000, datetime(2025, 12, 1, 2, 0, tzinfo=UTC)),  # epoch milliseconds
        (1_764_554_400, datetime(2025, 12, 1, 2, 0, tzinfo=UTC)),  # epoch seconds
        ("yesterday", None),
        (None, None),
        (True, None),
    ],
)
def test_update_times_are_read_as_platforms_send_them(value, expected):
    assert update_time(value, "Asia/Shanghai") == expected


def client_options(url: str, **extra) -> SharingClientOptions:
    return SharingClientOptions(base_url=url, app_key=APP_KEY, app_secret=APP_SECRET, **extra)


def test_a_token_is_renewed_before_it_lapses():
    now = [0.0]
    with running_platform() as (platform, url):
        platform.rows["enterprises"] = [{"qymc": "甲"}]
        client = SharingClient(client_options(url), "test", clock=lambda: now[0])
        client.page(PATHS["enterprises"].removeprefix("/gateway"), 1, None)
        now[0] = 7200 - 29  # within the last 30 s of its 7,200
        client.page(PATHS["enterprises"].removeprefix("/gateway"), 1, None)
        client.close()
    tokens = [a.token for a in platform.asked if a.method == "GET"]
    assert tokens == ["T1", "T2"] and platform.tokens_issued == 2


def test_a_has_more_flag_and_offsets_page_the_result():
    with running_platform() as (platform, url):
        platform.rows["enterprises"] = [{"qymc": str(n)} for n in range(3)]
        client = SharingClient(
            client_options(url, paging="offset", has_more_path="data.hasMore", total_path=None), "test"
        )
        page = client.page(PATHS["enterprises"].removeprefix("/gateway"), 0, None)
        client.close()
    # the platform sends no hasMore: no flag means no more, whatever the page holds
    assert page.next_position is None and page.first_row == 0
    assert platform.asked[-1].query == {"pageSize": "100", "offset": "0"}


def test_a_platform_that_does_not_answer_in_time_is_tried_again_then_reported_unavailable():
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/gateway"
        client = SharingClient(client_options(url, timeout_s=0.2, retries=1, backoff_s=0), "test")
        with pytest.raises(SourceUnavailable, match="no answer after 2 tries.*ReadTimeoutError"):
            client.page("/api/qy/jbxx", 1, None)
        client.close()


def test_the_since_time_is_sent_in_the_platforms_zone_and_form():
    client = SharingClient(
        client_options("http://127.0.0.1:9", since_param="t", since_format="%Y%m%d%H%M%S"), "test"
    )
    assert client.since_text(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == "20261201100000"
    iso = SharingClient(client_options("http://127.0.0.1:9", since_param="t"), "test")
    assert iso.since_text(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == "2026-12-01T10:00:00+08:00"


def readme_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Importing from a data-sharing platform")
    return readme[start : readme.index("\n### ", start + 1)]


def test_the_readme_example_is_a_source_the_code_accepts():
    block = re.findall(r"```yaml\n(.*?)```", readme_section(), re.DOTALL)[0]
    entry = yaml.safe_load(block)["data-sharing"]
    assert entry["adapter"] == "sharing_platform"
    platform = SharingPlatformSource("data-sharing", entry["options"], base_dir=str(ROOT))
    assert platform.capabilities == {"incremental"} and platform.options.sync_interval_s == 3600


def test_the_readme_names_every_option_and_mapping_key():
    section = readme_section()
    named = set(SharingPlatformSource.Options.model_fields) | set(ResourceMapping.model_fields)
    assert sorted(n for n in named if f"`{n}`" not in section) == []


def test_an_answer_without_a_code_is_judged_by_its_status_and_a_bad_code_stops_with_its_message():
    with running_platform() as (platform, url):
        path = PATHS["enterprises"].removeprefix("/gateway")
        platform.bodies[("enterprises", 1)] = b'{"data": {"list": [{"qymc": "x"}], "total": 1}}'
        client = SharingClient(client_options(url), "test")
        assert client.page(path, 1, None).rows == [{"qymc": "x"}]
        platform.bodies[("enterprises", 1)] = '{"code": 50001, "msg": "接口调用次数超限"}'.encode()
        with pytest.raises(SourceUnavailable, match="code 50001: '接口调用次数超限'"):
            client.page(path, 1, None)
        client.close()
