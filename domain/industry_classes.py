"""China's industry classification GB/T 4754-2017: its four-digit classes (domain/reference/),
against which enterprises' industry codes are checked and from which the demo park draws them."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

CLASS_TABLE = Path(__file__).with_name("reference") / "gbt4754_2017_class4.csv"


@functools.cache
def industry_classes() -> pd.DataFrame:
    """The 1,381 four-digit classes (robin621/gbcrosswalk, MIT): code ("0111"), name (Chinese)."""
    frame = pd.read_csv(CLASS_TABLE, dtype=str)
    return frame.rename(columns={"code_2017": "code", "name_2017": "name"})[["code", "name"]]


@functools.cache
def class_codes() -> frozenset[str]:
    """The four-digit codes alone, for membership tests."""
    return frozenset(industry_classes()["code"])
