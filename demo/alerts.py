"""The alert history: every past threshold crossing in the readings, with its closed lifecycle."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from data_sources.contracts import ALERTS
from demo.spec import ParkSpec

# Crossings a few readings apart are one incident (the rule engine's hysteresis does the same).
_MERGE_GAP = 3
# An incident still under way near `now` is left to the live rules, which raise it themselves.
_SETTLED_MIN = 30
_MIN = np.timedelta64(60_000_000, "us")


def build_alerts(
    spec: ParkSpec, readings: pd.DataFrame, sensors: pd.DataFrame, now: datetime, rng: np.random.Generator
) -> pd.DataFrame:
    """One alert per incident (readings at or above the warning threshold), severity critical
    when its worst reading reached the critical threshold, acknowledged, assigned to the sensor's
    department, escalated when critical, resolved after the readings fell back and closed.

    Columns: the alerts contract; `value` is the worst reading of the incident and `threshold`
    the warning threshold it crossed. Times are UTC; a stage later than `now` is left empty and
    the state is the last stage reached.

    Ids (AL-YYYYMMDD-NNNN, the park-local day raised and a serial within it) are issued at
    generation time; the store may move a demo park's times forward by whole days without
    re-dating them, so an id's date is not necessarily the day its `raised_at` falls on."""
    now64 = pd.Timestamp(now).tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]")
    owners = dict(zip(sensors["id"], sensors["department"], strict=True))
    limits = {
        (s, q): t
        for s, th in zip(sensors["id"], sensors["thresholds"], strict=True)
        if th
        for q, t in th.items()
    }
    rows = []
    for (sid, qty), g in readings.groupby(["sensor_id", "quantity"], sort=True):
        t = limits[(sid, qty)]
        values = g["value"].to_numpy()
        at = g["at"].dt.tz_localize(None).to_numpy().astype("datetime64[us]")
        for first, last in _incidents(values >= t["warning"]):
            if at[last] > now64 - _SETTLED_MIN * _MIN:
                continue
            worst = float(values[first : last + 1].max())
            rows.append(
                (sid, qty, at[first], at[last], worst, t["warning"], worst >= t["critical"], owners[sid])
            )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in ALERTS.columns})
    frame = pd.DataFrame(
        rows, columns=["sensor_id", "quantity", "start", "end", "value", "threshold", "critical", "owner"]
    )
    frame = frame.sort_values(["start", "sensor_id"], ignore_index=True)
    n = len(frame)

    def minutes(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, n).round().astype("int64") * _MIN

    raised = frame["start"].to_numpy()
    ack = raised + minutes(1, 6)
    assigned = ack + minutes(2, 12)
    critical = frame["critical"].to_numpy()
    escalated = np.where(critical, assigned + minutes(5, 15), np.datetime64("NaT", "us"))
    after = np.where(critical, escalated, assigned)
    resolved = np.maximum(frame["end"].to_numpy() + 5 * _MIN, after + minutes(10, 40))
    closed = resolved + minutes(10, 60)
    stages = {
        "raised_at": raised,
        "acknowledged_at": ack,
        "assigned_at": assigned,
        "escalated_at": escalated,
        "resolved_at": resolved,
        "closed_at": closed,
    }
    state = np.full(n, "raised", dtype=object)
    for name, times in stages.items():
        reached = ~np.isnat(times) & (times <= now64)
        state = np.where(reached, name.removesuffix("_at"), state)
        stages[name] = np.where(reached, times, np.datetime64("NaT", "us"))
    local = pd.DatetimeIndex(raised) + pd.Timedelta(hours=spec.utc_offset_h)
    day = local.strftime("%Y%m%d")
    seq = pd.Series(day).groupby(day).cumcount().to_numpy() + 1
    width = max(4, len(str(int(seq.max()))))  # more than 9,999 alerts a day widen the serial
    return pd.DataFrame(
        {
            "id": [f"AL-{d}-{s:0{width}d}" for d, s in zip(day, seq, strict=True)],
            "rule": "threshold:" + frame["quantity"],
            "sensor_id": frame["sensor_id"],
            "quantity": frame["quantity"],
            "value": frame["value"].astype("float64"),
            "threshold": frame["threshold"].astype("float64"),
            "severity": np.where(critical, "critical", "warning"),
            "state": state,
            **{k: pd.Series(v).dt.tz_localize("UTC") for k, v in stages.items()},
            "owner": frame["owner"],
            "case_id": None,
        }
    )


def _incidents(over: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of true values, runs closer than _MERGE_GAP joined."""
    idx = np.flatnonzero(over)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > _MERGE_GAP)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _dtype(column: str) -> str:
    kind = ALERTS.field(column).kind
    return {"datetime": "datetime64[us, UTC]", "float": "float64"}.get(kind, "str")
