"""Size classes from figures as the store gives them: nullable integers whose missing value is
pd.NA, beside None and NaN."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from domain.enterprise_sizes import size_class


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA])
def test_a_missing_measure_the_sector_needs_gives_no_class(missing) -> None:
    assert size_class("2710", missing, 50_000.0) is None  # manufacturing needs employees
    assert size_class("2710", 1200, missing) is None


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA])
def test_a_missing_measure_the_sector_does_not_need_is_ignored(missing) -> None:
    # construction is classed by revenue alone
    assert size_class("4710", missing, 90_000.0) == "large"
    assert size_class("4710", missing, 200.0) == "micro"


def test_nullable_integer_figures_are_classed() -> None:
    employees = pd.array([1200, pd.NA, 25], dtype="Int64")
    classes = [size_class("2710", e, r) for e, r in zip(employees, [50_000.0, 100.0, 400.0], strict=True)]
    assert classes == ["large", None, "small"]
