"""The statistics behind domain/hotspots.py: the negative-binomial upper tail (log-gamma terms, no
scipy), Benjamini–Hochberg q-values, and the extra-Poisson dispersion of baseline counts."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def nb_upper_tail(observed: int, mean: float, size: float | None) -> float:
    """P(X ≥ observed) for a negative binomial with this mean and size (None or inf: Poisson).
    Exact to about 1e-15 relative for tails far from the mean (summed upwards from `observed`)."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    poisson = size is None or math.isinf(size) or size > 1e8
    if poisson:
        log_q = math.log(mean)

        def log_pmf(k: int) -> float:
            return -mean + k * log_q - math.lgamma(k + 1)

        def ratio(k: int) -> float:
            return mean / (k + 1)
    else:
        assert size is not None
        q = mean / (size + mean)
        log_p0 = size * math.log(size / (size + mean))
        log_q = math.log(q)

        def log_pmf(k: int) -> float:
            return math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1) + log_p0 + k * log_q

        def ratio(k: int) -> float:
            return q * (k + size) / (k + 1)

    if observed <= mean:  # the lower part is short and the tail is large: no cancellation
        term = math.exp(log_pmf(0))
        below = 0.0
        for k in range(observed):
            below += term
            term *= ratio(k)
        return min(max(1.0 - below, 0.0), 1.0)
    term = math.exp(log_pmf(observed))
    total = 0.0
    k = observed
    # past the mean the terms fall at least geometrically
    while term > 0 and term > total * 1e-16 and k < observed + 200_000:
        total += term
        term *= ratio(k)
        k += 1
    return min(total, 1.0)


def benjamini_hochberg(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values (step-up, monotone), in the input's order."""
    p = np.asarray(p, dtype="float64")
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def dispersion(blocks: pd.DataFrame) -> pd.Series:
    """Per case type, the extra-Poisson dispersion α (Var = μ + α μ²) of the baseline blocks'
    counts, by the method of moments pooled over cells; 0 when the counts vary no more than
    Poisson's. `blocks`: one row per (grid_cell, case_type), one column per baseline block."""
    values = blocks.to_numpy(dtype="float64")
    if values.shape[1] < 2 or len(values) == 0:
        return pd.Series(0.0, index=blocks.index.get_level_values("case_type").unique())
    mean = values.mean(axis=1)
    excess = values.var(axis=1, ddof=1) - mean
    frame = pd.DataFrame({"excess": excess, "mean2": mean**2}, index=blocks.index)
    pooled = frame.groupby(level="case_type").sum()
    alpha = (pooled["excess"] / pooled["mean2"].where(pooled["mean2"] > 0)).fillna(0.0)
    return alpha.clip(lower=0.0, upper=10.0)
