"""CsvFileSource: GB18030 exports with Chinese headers, time zones, and broken lines that lose
only themselves, each reported with its line number."""

from __future__ import annotations

import pytest

from data_sources.adapters.csv_file import CsvFileSource, parse_csv
from data_sources.errors import ContractError, SourceMisconfigured, SourceUnavailable
from data_sources.health import HealthBook
from data_sources.monitor import PARSE_REJECTIONS, SourceMonitor

HEADER = "id,channel,domain,case_type,status,reported_at\n"


def row(ident: str, reported_at: str = "2024-03-01T08:00:00+08:00", status: str = "accepted") -> str:
    return f"{ident},hotline_12345,urban_management,garbage_overflow,{status},{reported_at}\n"


def source(tmp_path, text: str | bytes, name: str = "cases.csv", **options) -> CsvFileSource:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return CsvFileSource("csv-test", {"path": name, "contract": "cases", **options}, base_dir=str(tmp_path))


def read(src: CsvFileSource):
    book = HealthBook()
    snapshot = SourceMonitor(src, book).read("cases")
    return snapshot, book.recent_rejections(src.name)


def test_reads_a_gb18030_export_with_chinese_headers_through_columns(tmp_path):
    text = (
        "案件编号,来源渠道,领域,案件类型,状态,上报时间,地址\n"
        "SJZ-0001,hotline_12345,urban_management,垃圾满溢,accepted,2024-03-01 08:15:00,裕华区长江大道与天山大街交口\n"
    )
    columns = {"案件编号": "id", "来源渠道": "channel", "领域": "domain", "案件类型": "case_type", "状态": "status",
               "上报时间": "reported_at", "地址": "address"}  # fmt: skip
    src = source(
        tmp_path, text.encode("gb18030"), encoding="gb18030", columns=columns, timezone="Asia/Shanghai"
    )
    snapshot, rejections = read(src)
    assert rejections == []
    good = snapshot.frame.iloc[0]
    assert (good["id"], good["case_type"], good["address"]) == (
        "SJZ-0001",
        "垃圾满溢",
        "裕华区长江大道与天山大街交口",
    )
    assert str(good["reported_at"]) == "2024-03-01 00:15:00+00:00"


def test_the_utf8_byte_order_mark_is_not_part_of_the_first_header(tmp_path):
    src = source(tmp_path, b"\xef\xbb\xbf" + (HEADER + row("C1")).encode())
    snapshot, rejections = read(src)
    assert rejections == [] and list(snapshot.frame["id"]) == ["C1"]


def test_a_gb18030_file_read_as_utf8_is_refused_naming_encoding(tmp_path):
    src = source(tmp_path, ("案件编号,状态\n" + "一,二\n").encode("gb18030"))
    with pytest.raises(SourceMisconfigured, match="encoding: not utf-8-sig text.*gb18030"):
        src.fetch("cases")


def test_naive_times_are_localised_to_the_zone_then_utc(tmp_path):
    text = (
        HEADER
        + row("C1", "2024-03-01 08:00:00")
        + row("C2", "2024-03-01T23:30")
        + row("C3", "2024-03-01T08:00:00Z")
    )
    snapshot, rejections = read(source(tmp_path, text, timezone="Asia/Shanghai"))
    assert rejections == []
    assert [str(t) for t in snapshot.frame["reported_at"]] == [
        "2024-03-01 00:00:00+00:00",
        "2024-03-01 15:30:00+00:00",
        "2024-03-01 08:00:00+00:00",  # it had an offset: left as it was
    ]


def test_without_a_timezone_naive_times_are_rejected_by_the_validator(tmp_path):
    snapshot, rejections = read(source(tmp_path, HEADER + row("C1", "2024-03-01 08:00:00") + row("C2")))
    assert [(r.row, r.field, r.reason) for r in rejections] == [
        (2, "reported_at", "time without a time zone")
    ]
    assert list(snapshot.frame["id"]) == ["C2"]


def test_a_local_time_that_does_not_exist_is_rejected_not_guessed(tmp_path):
    # clocks in Berlin jumped from 02:00 to 03:00 on 31 March 2024
    text = HEADER + row("C1", "2024-03-31 02:30:00") + row("C2", "2024-03-31 03:30:00")
    snapshot, rejections = read(source(tmp_path, text, timezone="Europe/Berlin"))
    assert [(r.row, r.field) for r in rejections] == [(2, "reported_at")]
    assert "does not exist in Europe/Berlin" in rejections[0].reason
    assert [str(t) for t in snapshot.frame["reported_at"]] == ["2024-03-31 01:30:00+00:00"]


def test_a_line_with_the_wrong_number_of_fields_loses_only_itself(tmp_path):
    text = HEADER + row("C1") + "C2,hotline_12345,too,many,fields,here,really\n" + row("C3") + "C4,short\n"
    snapshot, rejections = read(source(tmp_path, text))
    assert list(snapshot.frame["id"]) == ["C1", "C3"]
    assert [(r.row, r.field, r.reason) for r in rejections] == [
        (3, "(line)", "line 3: expected 6 fields, saw 7"),
        (5, "(line)", "line 5: expected 6 fields, saw 2"),
    ]
    assert rejections[1].value == "'C4,short'"
    assert snapshot.health.status == "degraded" and snapshot.health.rows_rejected == 2


def test_bad_quoting_rejects_its_record_and_reading_goes_on(tmp_path):
    text = (
        HEADER
        + row("C1")
        + 'C2,hotline_12345,"urban"_management,x,accepted,2024-03-01T08:00:00Z\n'
        + row("C3")
    )
    snapshot, rejections = read(source(tmp_path, text))
    assert list(snapshot.frame["id"]) == ["C1", "C3"]
    assert [r.row for r in rejections] == [3]
    assert "bad quoting" in rejections[0].reason


def test_a_quote_never_closed_loses_only_the_line_it_opens_on(tmp_path):
    text = (
        HEADER
        + row("C1")
        + 'C2,hotline_12345,"urban_management,x,accepted,2024-03-01T08:00:00Z\n'
        + row("C3")
        + row("C4")
    )
    snapshot, rejections = read(source(tmp_path, text))
    assert list(snapshot.frame["id"]) == ["C1", "C3", "C4"]
    assert [(r.row, r.reason) for r in rejections] == [
        (3, "line 3: a quote opened on this line is never closed")
    ]


def test_quoted_newlines_keep_line_numbers_right_for_the_validator_too(tmp_path):
    text = (
        "id,channel,domain,case_type,status,reported_at,description\n"
        'C1,hotline_12345,urban_management,x,accepted,2024-03-01T08:00:00Z,"第一行\n第二行\n第三行"\n'
        "C2,hotline_12345,urban_management,x,lost,2024-03-01T08:00:00Z,\n"
    )
    snapshot, rejections = read(source(tmp_path, text))
    assert snapshot.frame.loc[0, "description"] == "第一行\n第二行\n第三行"
    assert [(r.row, r.key, r.field) for r in rejections] == [(5, "C2", "status")]
    assert rejections[0].message.startswith("csv-test: cases row 5 (C2), field 'status'")


def test_blank_lines_and_crlf_are_fine(tmp_path):
    text = (HEADER + "\n" + row("C1") + "\n\n" + row("C2")).replace("\n", "\r\n")
    snapshot, rejections = read(source(tmp_path, text))
    assert rejections == [] and list(snapshot.frame["id"]) == ["C1", "C2"]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_an_option(tmp_path, delimiter):
    text = (HEADER + row("C1")).replace(",", delimiter)
    snapshot, rejections = read(source(tmp_path, text, delimiter=delimiter))
    assert rejections == [] and list(snapshot.frame["id"]) == ["C1"]


def test_a_folder_reads_every_csv_in_name_order(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "2024-03-02.csv").write_text(HEADER + row("C3") + "broken\n", encoding="utf-8")
    (folder / "2024-03-01.csv").write_text(HEADER + row("C1") + row("C2"), encoding="utf-8")
    (folder / "notes.txt").write_text("not data", encoding="utf-8")
    src = CsvFileSource("csv-test", {"path": "exports", "contract": "cases"}, base_dir=str(tmp_path))
    snapshot, rejections = read(src)
    assert list(snapshot.frame["id"]) == ["C1", "C2", "C3"]
    (rejection,) = rejections
    assert rejection.reason == "2024-03-02.csv line 3: expected 6 fields, saw 1"


def test_a_glob_reads_the_matching_files(tmp_path):
    (tmp_path / "cases-a.csv").write_text(HEADER + row("A"), encoding="utf-8")
    (tmp_path / "cases-b.csv").write_text(HEADER + row("B"), encoding="utf-8")
    (tmp_path / "other.csv").write_text(HEADER + row("X"), encoding="utf-8")
    src = CsvFileSource("csv-test", {"path": "cases-*.csv", "contract": "cases"}, base_dir=str(tmp_path))
    assert list(src.fetch("cases")["id"]) == ["A", "B"]
    empty = CsvFileSource("csv-test", {"path": "nothing-*.csv", "contract": "cases"}, base_dir=str(tmp_path))
    with pytest.raises(SourceUnavailable, match="no CSV file matches"):
        empty.fetch("cases")


def test_a_missing_or_empty_file_is_unavailable(tmp_path):
    src = CsvFileSource("csv-test", {"path": "gone.csv", "contract": "cases"}, base_dir=str(tmp_path))
    with pytest.raises(SourceUnavailable, match="no such file"):
        src.fetch("cases")
    with pytest.raises(SourceUnavailable, match="empty"):
        source(tmp_path, "").fetch("cases")


def test_a_file_that_is_not_csv_is_refused(tmp_path):
    xlsx_like = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"[Content_Types].xml"
    with pytest.raises(SourceMisconfigured, match="not a CSV file"):
        source(tmp_path, xlsx_like, encoding="gb18030").fetch("cases")


def test_a_broken_header_is_refused(tmp_path):
    with pytest.raises(SourceMisconfigured, match="header is broken at line 1"):
        source(tmp_path, '"id,"channel\n').fetch("cases")


def test_a_header_without_required_fields_is_refused_naming_them(tmp_path):
    with pytest.raises(SourceMisconfigured, match="lacks the cases fields channel, status"):
        source(tmp_path, "id,domain,case_type,reported_at\nC1,u,x,2024-03-01T08:00:00Z\n").fetch("cases")


def test_a_mapped_column_missing_from_the_header_is_refused_naming_it(tmp_path):
    src = source(tmp_path, HEADER + row("C1"), columns={"案件编号": "id"})
    with pytest.raises(SourceMisconfigured, match="columns.案件编号: the header has no column"):
        src.fetch("cases")


def test_a_mapped_header_and_a_header_of_the_same_field_are_refused_naming_both(tmp_path):
    src = source(tmp_path, "编号," + HEADER + "X," + row("C1"), columns={"编号": "id"})
    with pytest.raises(
        SourceMisconfigured,
        match="names 'id' more than once: column 1 '编号' through columns.编号 and column 2 'id'",
    ):
        src.fetch("cases")


@pytest.mark.parametrize(
    ("header", "columns", "both"),
    [
        ("id,channel,domain,case_type,status,reported_at,id\n", {}, "column 1 'id' and column 7 'id'"),
        # a space the export left is stripped, so these are one header twice
        ("id,channel,domain,case_type,status,reported_at, id \n", {}, "column 1 'id' and column 7 'id'"),
        (
            "案件编号,channel,domain,case_type,status,reported_at,案件编号\n",
            {"案件编号": "id"},
            "column 1 '案件编号' through columns.案件编号 and column 7 '案件编号' through columns.案件编号",
        ),
    ],
    ids=["same-header", "same-header-spaced", "same-mapped-header"],
)
def test_a_header_appearing_twice_is_refused_naming_both_columns(tmp_path, header, columns, both):
    src = source(tmp_path, header + row("C1").rstrip("\n") + ",C1\n", columns=columns)
    with pytest.raises(SourceMisconfigured, match=f"names 'id' more than once: {both}$"):
        src.fetch("cases")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"columns": {"案件编号": "case_no"}},
            "columns.案件编号: 'case_no' is not a field of contract 'cases'",
        ),
        (
            {"columns": {"编号": "id", "案件编号": "id"}},
            "columns.案件编号: 'id' is already mapped from '编号'",
        ),
        ({"contract": "tickets"}, "contract: .*unknown contract 'tickets'"),
        ({"encoding": "gbk2"}, "encoding: .*unknown encoding"),
        ({"timezone": "Asia/Beijing"}, "timezone: .*unknown time zone"),
        ({"delimiter": ";;"}, "delimiter: "),
        ({"sheet": 1}, "sheet"),
    ],
)
def test_bad_options_are_refused_at_construction_naming_the_key(options, message):
    with pytest.raises(SourceMisconfigured, match=message):
        CsvFileSource("csv-test", {"path": "x.csv", "contract": "cases", **options})


def test_it_serves_only_the_contract_it_is_configured_for(tmp_path):
    src = source(tmp_path, HEADER + row("C1"))
    assert src.contracts == frozenset({"cases"})
    with pytest.raises(ContractError, match="readings"):
        src.fetch("readings")


def test_rows_are_indexed_by_line_number_and_parse_rejections_sit_in_attrs(tmp_path):
    frame = source(tmp_path, HEADER + row("C1") + "bad\n" + row("C3")).fetch("cases")
    assert list(frame.index) == [2, 4]
    assert [r.row for r in frame.attrs[PARSE_REJECTIONS]] == [3]


def test_parse_csv_counts_physical_lines():
    parsed = parse_csv('a,b\n1,"x\ny"\n\n2,3\n"open,4\n5,6\n', ",")
    assert parsed.header == ["a", "b"]
    assert parsed.records == [["1", "x\ny"], ["2", "3"], ["5", "6"]]
    assert parsed.lines == [2, 5, 7]
    assert [(line, reason) for line, reason, _ in parsed.broken] == [
        (6, "a quote opened on this line is never closed")
    ]
    assert parsed.line_count == 7
