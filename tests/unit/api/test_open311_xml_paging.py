"""Open311 GeoReport v2 in XML and by pages, in-process on the small demo park: services.xml and
requests.xml hold the records of the .json answers, errors come as <errors> with the same
codes, page_size/page walk a window with no request missing or twice (its total the store's
count), bad paging parameters answer 400 naming the field in both formats, a description's
markup stays text, a rejected case reads closed, and a department's token reads its own in XML
too."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from api_checks import OWN
from sqlalchemy import func, select, update

from security import tokens
from services.records import CASE_TABLE

XML_TYPE = "text/xml; charset=utf-8"
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


@pytest.fixture(scope="module")
def portal(app, engine):
    token = tokens.issue(engine, "xml-portal", "leader", actor="admin")[0]
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture(scope="module")
def bureau(app, engine):
    token = tokens.issue(engine, "xml-bureau", "department_head", actor="admin", department=OWN)[0]
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def parsed(response, root: str, item: str) -> list[dict[str, str | None]]:
    """A GeoReport XML answer as one dict of element texts per item."""
    assert response.content_type == XML_TYPE
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    document = ET.fromstring(response.data)
    assert document.tag == root and all(child.tag == item for child in document)
    return [{field.tag: field.text for field in child} for child in document]


def as_text(value) -> str | None:
    """A JSON value as the XML carries it: null an empty element, booleans true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same_records(xml_items, json_items) -> None:
    assert len(xml_items) == len(json_items) > 0
    for from_xml, from_json in zip(xml_items, json_items, strict=True):
        assert from_xml == {name: as_text(value) for name, value in from_json.items()}


def store_ids(engine, *, since, until, department=None) -> list[str]:
    """The ids the store holds for a window, in GeoReport's order (newest first, then id)."""
    c = CASE_TABLE.c
    where = [c.reported_at >= since, c.reported_at < until]
    if department:
        where.append(c.department == department)
    query = select(c.id).where(*where).order_by(c.reported_at.desc(), c.id.desc())
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def test_services_xml_holds_the_records_of_services_json(portal):
    as_json = portal.get("/open311/v2/services.json").get_json()
    response = portal.get("/open311/v2/services.xml")
    assert response.status_code == 200
    same_records(parsed(response, "services", "service"), as_json)
    english = parsed(
        portal.get("/open311/v2/services.xml", headers={"Accept-Language": "en"}), "services", "service"
    )
    assert {s["service_code"]: s["service_name"] for s in english}["um.manhole_cover_missing"] == (
        "Missing manhole cover"
    )


def test_requests_xml_holds_the_records_of_requests_json(portal, cases):
    query = "?page_size=10&page=2"
    as_json = portal.get(f"/open311/v2/requests.json{query}")
    as_xml = portal.get(f"/open311/v2/requests.xml{query}")
    assert as_xml.status_code == 200
    items = parsed(as_xml, "service_requests", "request")
    same_records(items, as_json.get_json())
    assert as_xml.headers["X-Total-Count"] == as_json.headers["X-Total-Count"]
    assert items[0]["status"] in ("open", "closed") and items[0]["requested_datetime"].endswith("+08:00")
    case_id = cases["id"].iloc[0]
    one = portal.get(f"/open311/v2/requests/{case_id}.xml")
    assert one.status_code == 200
    (only,) = parsed(one, "service_requests", "request")
    same_records([only], portal.get(f"/open311/v2/requests/{case_id}.json").get_json())


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open311/v2/requests/no-such.xml", 404),
        ("/open311/v2/requests.xml?service_request_id=", 400),
        ("/open311/v2/requests.xml?start_date=2021-01-02&end_date=2021-01-01", 400),
    ],
)
def test_errors_under_xml_are_a_georeport_error_list(portal, path, status):
    response = portal.get(path)
    assert response.status_code == status
    (error,) = parsed(response, "errors", "error")
    assert error["code"] == str(status) and error["description"]


def test_a_viewers_refusal_under_xml_is_xml_too(app, engine):
    token = tokens.issue(engine, "xml-wall", "viewer", actor="admin")[0]
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    refused = client.get("/open311/v2/requests.xml")
    assert refused.status_code == 403
    assert parsed(refused, "errors", "error")[0]["code"] == "403"


def walk(client, first: str) -> tuple[list[str], list[int]]:
    """Follow rel="next" from `first` to the end: the ids in order and each page's total."""
    ids: list[str] = []
    totals: list[int] = []
    url: str | None = first
    while url:
        response = client.get(url)
        assert response.status_code == 200
        ids += [r["service_request_id"] for r in response.get_json()]
        totals.append(int(response.headers["X-Total-Count"]))
        links = {rel: target for target, rel in LINK.findall(response.headers.get("Link", ""))}
        url = links.get("next")
        assert len(totals) < 100, "the walk does not end"
    return ids, totals


def test_pages_walk_the_whole_window_once_in_order(portal, engine):
    until = datetime.now(UTC).replace(microsecond=0)
    since = until - timedelta(days=90)
    expected = store_ids(engine, since=since, until=until)
    dates = urlencode({"start_date": since.isoformat(), "end_date": until.isoformat()})
    ids, totals = walk(portal, f"/open311/v2/requests.json?{dates}&page_size=7")
    assert len(ids) == len(set(ids))  # none twice
    assert ids == expected  # none missing, newest first, ties by id: stable
    assert set(totals) == {len(expected)} and len(totals) == -(-len(expected) // 7)
    # an XML page holds the same requests as the JSON page of the same number
    page3 = portal.get(f"/open311/v2/requests.xml?{dates}&page_size=7&page=3")
    assert [r["service_request_id"] for r in parsed(page3, "service_requests", "request")] == ids[14:21]
    # past the last page: empty, the total still said, "prev" back to the last page
    past = portal.get(f"/open311/v2/requests.json?{dates}&page_size=7&page=1000")
    assert past.get_json() == [] and int(past.headers["X-Total-Count"]) == len(expected)
    assert 'rel="prev"' in past.headers["Link"] and 'rel="next"' not in past.headers["Link"]


def test_without_dates_the_window_is_the_last_90_days_at_most_1000_a_page(portal, engine):
    now = datetime.now(UTC)
    expected = store_ids(engine, since=now - timedelta(days=90), until=now + timedelta(minutes=1))
    response = portal.get("/open311/v2/requests.json")
    assert int(response.headers["X-Total-Count"]) == len(expected)
    assert [r["service_request_id"] for r in response.get_json()] == expected[:1000]
    with engine.connect() as connection:
        older = connection.execute(
            select(func.count())
            .select_from(CASE_TABLE)
            .where(CASE_TABLE.c.reported_at < now - timedelta(days=91))
        ).scalar_one()
    assert older > 0  # the park has older cases, and the default window leaves them out


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("query", "field"),
    [("page_size=0", "page_size"), ("page_size=1001", "page_size"), ("page=0", "page"), ("page=abc", "page")],
)
def test_bad_paging_parameters_answer_400_naming_the_field(portal, fmt, query, field):
    response = portal.get(f"/open311/v2/requests.{fmt}?{query}")
    assert response.status_code == 400
    if fmt == "xml":
        (error,) = parsed(response, "errors", "error")
    else:
        (error,) = response.get_json()
    assert error["code"] in (400, "400")
    assert re.search(rf"\b{field}:", error["description"]), error["description"]


MARKUP = 'Pipe <b>burst</b> & "flooding" <script>alert(1)</script> at Tom & Jerry\'s\x07'


@pytest.fixture
def marked_case(engine, cases):
    """An old case whose description holds markup, an ampersand and a control character, and
    whose status is rejected; put back afterwards."""
    case_id = cases.sort_values("reported_at")["id"].iloc[5]
    c = CASE_TABLE.c
    with engine.connect() as connection:
        before = connection.execute(select(c.description, c.status).where(c.id == case_id)).one()
    with engine.begin() as connection:
        connection.execute(
            update(CASE_TABLE).where(c.id == case_id).values(description=MARKUP, status="rejected")
        )
    try:
        yield case_id
    finally:
        with engine.begin() as connection:
            connection.execute(
                update(CASE_TABLE).where(c.id == case_id).values(description=before[0], status=before[1])
            )


def test_markup_in_a_description_round_trips_escaped_and_a_rejected_case_is_closed(portal, marked_case):
    response = portal.get(f"/open311/v2/requests.xml?service_request_id={marked_case}")
    assert b"&lt;script&gt;" in response.data and b"Tom &amp; Jerry" in response.data
    assert b"<script>" not in response.data
    (request,) = parsed(response, "service_requests", "request")
    assert request["description"] == MARKUP.replace("\x07", "\ufffd")  # XML 1.0 cannot hold U+0007
    (as_json,) = portal.get(f"/open311/v2/requests/{marked_case}.json").get_json()
    assert as_json["description"] == MARKUP
    assert request["status"] == as_json["status"] == "closed"
    assert request["status_notes"] == as_json["status_notes"] == "rejected"


def test_a_department_token_reads_its_department_only_in_xml_too(bureau, engine, cases):
    until = datetime.now(UTC).replace(microsecond=0)
    since = until - timedelta(days=90)
    dates = urlencode({"start_date": since.isoformat(), "end_date": until.isoformat()})
    response = bureau.get(f"/open311/v2/requests.xml?{dates}&page_size=1000")
    items = parsed(response, "service_requests", "request")
    assert items and {r["agency_responsible"] for r in items} == {OWN}
    expected = store_ids(engine, since=since, until=until, department=OWN)
    assert [r["service_request_id"] for r in items] == expected
    assert int(response.headers["X-Total-Count"]) == len(expected)
    other = cases.loc[cases["department"] != OWN, "id"].iloc[0]
    refused = bureau.get(f"/open311/v2/requests/{other}.xml")
    assert refused.status_code == 404
    assert parsed(refused, "errors", "error")[0]["code"] == "404"
    listed = bureau.get(f"/open311/v2/requests.xml?service_request_id={other}")
    assert parsed(listed, "service_requests", "request") == []
