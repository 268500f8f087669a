"""The audit trail of every case (全过程留痕): one event per stage reached, with who and when."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.cases import TIME_COLUMNS
from demo.catalogue import CHANNELS

ACTIONS = ("reported", "accepted", "dispatched", "handled", "verified", "closed")
COMMAND_CENTRE = "command_center"


def build_case_events(cases: pd.DataFrame, departments: pd.DataFrame) -> pd.DataFrame:
    """Rows case_id, action, actor, at, note, ordered by case (as `cases` is) then stage.

    Actors: the reporter (grid worker, camera or channel), the command centre (accept,
    dispatch, close), the handling department, the cell's grid worker (verify)."""
    n = len(cases)
    # Stages are reached in order, so case i has events for its first k[i] stages: build the
    # rows in their final order straight from (case, stage) pairs, without sorting 1.8 M rows.
    times = np.stack(
        [cases[c].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy() for c in TIME_COLUMNS], axis=1
    )
    k = (~np.isnat(times)).sum(axis=1)
    row = np.repeat(np.arange(n), k)
    stage = np.arange(len(row)) - np.repeat(np.cumsum(k) - k, k)
    dept_code = pd.Index(departments["id"]).get_indexer(cases["department"])
    channel_code = pd.Index(CHANNELS["id"]).get_indexer(cases["channel"])
    score = cases["satisfaction"].fillna(0).to_numpy(dtype="int64")
    # Notes come from small vocabularies (per department, channel, score): look each up once so
    # 1.8 million rows share a few dozen string objects instead of making one per row.
    dispatched = np.array(["派遣至" + d for d in departments["name"]], dtype=object)
    handled = np.array([d + "处置完毕" for d in departments["name"]], dtype=object)
    reported = np.array([c + "上报" for c in CHANNELS["name"]], dtype=object)
    closed = np.array(["结案"] + [f"结案，回访满意度{s}分" for s in range(1, 6)], dtype=object)
    command = np.full(n, COMMAND_CENTRE, dtype=object)
    actors = np.stack(
        [
            cases["reporter"].to_numpy(dtype=object),
            command,
            command,
            cases["department"].to_numpy(dtype=object),
            cases["worker"].to_numpy(dtype=object),
            command,
        ],
        axis=1,
    )
    notes = np.stack(
        [
            reported[channel_code],
            np.full(n, "受理立案", dtype=object),
            dispatched[dept_code],
            handled[dept_code],
            np.full(n, "网格员现场核查通过", dtype=object),
            closed[score],
        ],
        axis=1,
    )
    return pd.DataFrame(
        {
            "case_id": cases["id"].to_numpy(dtype=object)[row],
            "action": np.array(ACTIONS, dtype=object)[stage],
            "actor": actors[row, stage],
            "at": pd.Series(times[row, stage]).dt.tz_localize("UTC"),
            "note": notes[row, stage],
        }
    )
