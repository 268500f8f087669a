"""The GB/T 4754-2017 class table (domain/reference/): whole names, as the standard prints them.
The source table cut some names where its PDF wrapped a line ("…合成树脂制"); those were
completed, and an enterprise profile shows the class's whole name."""

from __future__ import annotations

from domain.industry_classes import class_codes, industry_classes

# names that really end in 制 (to mill, to print, to copy), not a cut-off 制造
WHOLE_ENDING_IN_ZHI = {"1319", "2312", "2330"}


def test_the_table_holds_the_1381_classes_once_each() -> None:
    classes = industry_classes()
    assert len(classes) == 1381
    assert len(class_codes()) == 1381
    assert classes["code"].str.fullmatch(r"\d{4}").all()


def test_no_name_is_cut_where_a_line_wrapped() -> None:
    names = industry_classes().set_index("code")["name"]
    cut = names[
        names.str.endswith(("制", "加", "专用", "设", "建", "批", "基"))
        & ~names.index.isin(WHOLE_ENDING_IN_ZHI)
    ]
    assert cut.empty, cut.to_dict()


def test_completed_names_read_as_the_standard_prints_them() -> None:
    names = industry_classes().set_index("code")["name"]
    assert names["2651"] == "初级形态塑料及合成树脂制造"
    assert names["3089"] == "耐火陶瓷制品及其他耐火材料制造"
    assert names["1110"] == "煤炭开采和洗选专业及辅助性活动"
