"""Department scoping applied to the frames services read, so a department head's figures and
records come only from their department. Contracts with a department column are filtered on
it; readings through their sensor's department; case events through their case's. Reference
contracts that belong to no department (enterprises, chains, map features) are the park's
shared base data and are not filtered."""

from __future__ import annotations

import pandas as pd

from security.scope import Scope
from services.data import snapshot

VIA_PARENT = {"readings": ("sensor_id", "sensors", "id"), "case_events": ("case_id", "cases", "id")}


def scope_frame(contract: str, frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    if scope.whole_park or frame.empty:
        return frame
    if "department" in frame.columns:
        return frame[frame["department"] == scope.department]
    if contract in VIA_PARENT:
        column, parent, key = VIA_PARENT[contract]
        owners = snapshot(parent).frame
        if owners.empty:
            return frame.iloc[0:0]
        ids = owners.loc[owners["department"] == scope.department, key]
        return frame[frame[column].isin(ids)]
    return frame
