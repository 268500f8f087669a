"""Department scoping applied to the frames services read, so a department head's figures and
records come only from their department.

Every contract is classified here, and an unclassified one is an error, not a pass: a new
contract must not reach a department head unfiltered because nobody thought of it (fail
closed). Contracts with a department field are filtered on it; readings and alerts through
their sensor's department; case events through their case's, looked up in the store (cases
are never read whole: services.data.LARGE). Reference contracts that belong
to no department (enterprises, their figures, industry chains, map features) are the park's
shared base data and are not filtered."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from data_sources.contracts import CONTRACTS
from security.scope import Scope
from services.context import get_services
from services.data import LARGE, snapshot
from store.models import CONTRACT_TABLES

# Contracts whose rows name their department themselves.
OWN_DEPARTMENT = frozenset(name for name, c in CONTRACTS.items() if "department" in c.columns)
# contract -> (its column, the parent contract, the parent's key): the parent's department owns the row
VIA_PARENT = {
    "readings": ("sensor_id", "sensors", "id"),
    "alerts": ("sensor_id", "sensors", "id"),
    "case_events": ("case_id", "cases", "id"),
}
IN_CHUNK = 500  # keys per IN list: within every engine's limit on bound parameters
# Shared park-wide reference data: every role reads all of it.
PARK_WIDE = frozenset({"enterprises", "enterprise_figures", "chains", "features"})


def scope_frame(contract: str, frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows of `frame` (a `contract` frame) within `scope`. Raises ValueError for a contract
    this module does not classify, whatever the scope, so the gap shows in every test run."""
    if contract in OWN_DEPARTMENT:
        parent = None
    elif contract in VIA_PARENT:
        parent = VIA_PARENT[contract]
    elif contract in PARK_WIDE:
        return frame
    else:
        raise ValueError(f"contract {contract!r} has no department scoping rule (services/scoping.py)")
    if scope.whole_park or frame.empty:
        return frame
    if parent is None:
        return frame[frame["department"] == scope.department]
    column, parent_contract, key = parent
    if parent_contract in LARGE:
        return frame[frame[column].isin(owned_in_store(parent_contract, key, scope, frame[column]))]
    owners = snapshot(parent_contract).frame
    if owners.empty:
        return frame.iloc[0:0]
    ids = owners.loc[owners["department"] == scope.department, key]
    return frame[frame[column].isin(ids)]


def owned_in_store(parent_contract: str, key: str, scope: Scope, wanted: pd.Series) -> set[str]:
    """Those of the `wanted` keys of `parent_contract` (a LARGE contract, never read whole)
    whose row belongs to the scope's department, asked of the store in chunks of IN_CHUNK keys:
    the query reads as many parent rows as the frame names, not the parent's table."""
    table = CONTRACT_TABLES[parent_contract]
    keys = [k for k in pd.unique(wanted.dropna()) if isinstance(k, str)]
    found: set[str] = set()
    with get_services().engine.connect() as connection:
        for at in range(0, len(keys), IN_CHUNK):
            query = select(table.c[key]).where(
                table.c[key].in_(keys[at : at + IN_CHUNK]), table.c.department == scope.department
            )
            found.update(connection.execute(query).scalars())
    return found


def scoped_snapshot(contract: str, scope: Scope) -> pd.DataFrame:
    """The cached snapshot of `contract` within `scope`: the one scoped read that services share.
    No source serving the contract reads as no rows (with the contract's columns), not an error:
    a park may have no case system. Raises SourceMisconfigured as snapshot() does, and
    ValueError for a LARGE contract (cases), which is queried in the store, never held whole."""
    if contract in LARGE:
        raise ValueError(f"{contract!r} is never read whole: query it in the store (services/records.py)")
    if get_services().sources.source_of(contract) is None:
        return pd.DataFrame(columns=CONTRACTS[contract].columns)
    return scope_frame(contract, snapshot(contract).frame, scope)
