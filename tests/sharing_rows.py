"""Rows as the data-sharing platform serves them, in its own field names (config/imports/
sharing_platform.yaml maps them): a chain's links, enterprises with valid credit codes, their
yearly figures in yuan, and a platform filled with them. Each test takes its own prefix, so its
enterprises have ids of their own in the one store."""

from __future__ import annotations

from sharing_server import Platform

from domain.credit_code import check_character


def credit_code(prefix: int, number: int) -> str:
    body = f"91320{prefix:02d}{number:010d}"
    return body + check_character(body)


def chain_rows(chain: str):
    return [
        {"cylbm": chain, "cylmc": "测试链", "hjbm": f"{chain}.up", "hjlx": "上游", "sjhjbm": None,
         "hjmc": "材料", "hjywmc": "Materials", "gxsj": "2026-12-01 09:00:00"},
        {"cylbm": chain, "cylmc": "测试链", "hjbm": f"{chain}.mid", "hjlx": "中游", "sjhjbm": None,
         "hjmc": "电芯", "hjywmc": "Cells", "gxsj": "2026-12-01 09:00:00"},
        {"cylbm": chain, "cylmc": "测试链", "hjbm": f"{chain}.mid.pack", "hjlx": "中游",
         "sjhjbm": f"{chain}.mid", "hjmc": "模组", "hjywmc": "Packs", "gxsj": "2026-12-01 09:30:00"},
    ]  # fmt: skip


def enterprise_row(prefix: int, number: int, chain: str, updated: str = "2026-12-01 10:00:00", **fields):
    return {
        "tyshxydm": credit_code(prefix, number),
        "qymc": f"测试电池有限公司{number}",
        "qyywmc": f"Test Battery Co. {number}",
        "clrq": "20150312",
        "hydm": "3841",
        "cylhj": f"{chain}.mid",
        "jd": 120.6,
        "wd": 31.3,
        "gxsj": updated,
        **fields,
    }


def figure_row(prefix: int, number: int, year: int = 2024, **fields):
    return {
        "tyshxydm": credit_code(prefix, number),
        "nd": year,
        "yysr": 123_456_789,  # 元
        "nsze": 4_560_000,
        "cyrs": 120,
        "yfjf": 9_870_000,
        "zlsl": 7,
        "gxsj": "2026-12-01 10:00:00",
        **fields,
    }


def fill(platform: Platform, prefix: int, enterprises: int = 5, *, figures: int = 3) -> str:
    chain = f"t{prefix}"
    platform.rows["chains"] = chain_rows(chain)
    platform.rows["enterprises"] = [enterprise_row(prefix, n, chain) for n in range(1, enterprises + 1)]
    platform.rows["enterprise_figures"] = [figure_row(prefix, n) for n in range(1, figures + 1)]
    return chain
