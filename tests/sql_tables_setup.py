"""Another system's enterprise register, yearly figures and chain links in its own tables and
column names (pinyin, as Chinese systems name them), with bad rows among the good: what the
`sql` source's `tables` option is tested on, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from domain.credit_code import check_character

NEXT_YEAR = datetime.now(UTC).year + 1
GOOD_CODE = "91110000MA01ABCDE" + check_character("91110000MA01ABCDE")


def create_tables(engine: Engine, schema: str | None = None) -> None:
    """The three tables with their rows, in `schema` (None: the default one)."""
    at = f'"{schema}".' if schema else ""
    with engine.begin() as c:
        c.execute(
            text(
                f"CREATE TABLE {at}qy_jbxx (qiye_bh varchar(20) PRIMARY KEY, qiye_mc varchar(200), "
                "hydm varchar(8), tyshxydm varchar(18), chanyelian_hj varchar(64), clrq date, beizhu text)"
            )
        )
        c.execute(
            text(
                f"CREATE TABLE {at}qy_nb (qiye_bh varchar(20), nd integer, yysr numeric(14, 2), "
                "nss numeric(14, 2), cyrs integer)"
            )
        )
        c.execute(
            text(
                f"CREATE TABLE {at}cyl_hj (lian_bm varchar(64), huanjie_bm varchar(64), "
                "jieduan varchar(16), shangji_bm varchar(64), mc varchar(100))"
            )
        )
        c.execute(
            text(f"INSERT INTO {at}qy_jbxx VALUES (:a, :b, :c, :d, :e, :f, NULL)"),
            [
                _firm("Q001", "甲药业股份有限公司", "2710", GOOD_CODE, "bio.api", "2015-03-01"),
                _firm("Q002", "乙科技有限公司", "9999", None, None, "2018-01-09"),  # no such class
                _firm("Q003", "丙医疗有限公司", "2720", None, "bio.a", None),  # a link in a circle
                _firm("Q004", "丁制药有限公司", "2720", None, "bio.tcm", "2020-05-06"),
            ],
        )
        c.execute(
            text(f"INSERT INTO {at}qy_nb VALUES (:a, :b, :c, :d, :e)"),
            [
                {"a": "Q001", "b": 2024, "c": 1200.5, "d": 80, "e": 35},
                {"a": "Q001", "b": NEXT_YEAR, "c": 1300, "d": 90, "e": 36},  # the future
                {"a": "Q004", "b": 2024, "c": -10, "d": 1, "e": 3},  # negative revenue
                {"a": "Q002", "b": 2024, "c": 10, "d": 1, "e": 3},  # its enterprise is rejected
                {"a": "Q004", "b": 2023, "c": 400, "d": 20, "e": 12},
            ],
        )
        c.execute(
            text(f"INSERT INTO {at}cyl_hj VALUES (:a, :b, :c, :d, :e)"),
            [
                {"a": "bio", "b": "bio.api", "c": "upstream", "d": None, "e": "原料药"},
                {"a": "bio", "b": "bio.tcm", "c": "midstream", "d": "bio.api", "e": "现代中药"},
                {"a": "bio", "b": "bio.a", "c": "midstream", "d": "bio.b", "e": "甲"},
                {"a": "bio", "b": "bio.b", "c": "midstream", "d": "bio.a", "e": "乙"},
            ],
        )


def _firm(*values: Any) -> dict[str, Any]:
    return dict(zip("abcdef", values, strict=True))


def tables_option(schema: str | None = None) -> dict[str, Any]:
    at = f"{schema}." if schema else ""
    return {
        "enterprises": {
            "table": f"{at}qy_jbxx",
            "columns": {
                "qiye_bh": "id",
                "qiye_mc": "name",
                "hydm": "industry_code",
                "tyshxydm": "credit_code",
                "chanyelian_hj": "chain_link",
                "clrq": "founded_on",
            },
        },
        "enterprise_figures": {
            "table": f"{at}qy_nb",
            "columns": {
                "qiye_bh": "enterprise_id",
                "nd": "year",
                "yysr": "revenue",
                "nss": "tax",
                "cyrs": "employees",
            },
        },
        "chains": {
            "table": f"{at}cyl_hj",
            "columns": {
                "lian_bm": "chain",
                "huanjie_bm": "link",
                "jieduan": "stage",
                "shangji_bm": "parent_link",
                "mc": "name",
            },
        },
    }


# What a read of each contract keeps, and rejects as (row in key order, key, field, reason)
KEPT = {
    "chains": ["bio.api", "bio.tcm"],
    "enterprises": ["Q001", "Q004"],
    "enterprise_figures": [("Q001", 2024), ("Q004", 2023)],
}
REJECTED = {
    "chains": {
        (1, "bio/bio.a", "parent_link", "parent links go round in a circle: bio.a → bio.b → bio.a"),
        (3, "bio/bio.b", "parent_link", "parent links go round in a circle: bio.b → bio.a → bio.b"),
    },
    "enterprises": {
        (2, "Q002", "industry_code", "not a four-digit class of GB/T 4754-2017"),
        (3, "Q003", "chain_link", "names no link of the industry chains"),
    },
    "enterprise_figures": {
        (2, f"Q001/{NEXT_YEAR}", "year", f"a year in the future (this is {NEXT_YEAR - 1})"),
        (3, "Q002/2024", "enterprise_id", "names no enterprise"),
        (5, "Q004/2024", "revenue", "below 0"),
    },
}
