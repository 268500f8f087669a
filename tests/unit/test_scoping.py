"""Department scoping of contract frames (services.scoping), without an app: every contract has
a rule, an unclassified one is an error (fail closed), rows owned through a parent (alerts and
readings through their sensor, case events through their case) are filtered. Records and KPIs
are queries in the store (tests/unit/test_case_reads_in_store.py, tests/unit/test_kpi_sql.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from data_sources.contracts import CONTRACTS
from security.scope import WHOLE_PARK, Scope
from services import scoping

OWN, OTHER = "urban_management", "ecology_environment"
SENSORS = pd.DataFrame({"id": ["s-own", "s-other"], "department": [OWN, OTHER]})
CASES = pd.DataFrame({"id": ["c-own", "c-other"], "department": [OWN, OTHER]})


@pytest.fixture(autouse=True)
def parents(monkeypatch):
    """The parents' snapshots (sensors, cases) a scoped read looks owners up in."""
    frames = {"sensors": SENSORS, "cases": CASES}
    monkeypatch.setattr(scoping, "snapshot", lambda name: SimpleNamespace(frame=frames[name]))

    def owned_in_store(parent, key, scope, wanted):  # the store's answer, without a store
        owners = frames[parent]
        return set(owners.loc[(owners["department"] == scope.department) & owners[key].isin(wanted), key])

    # cases are looked up in the store (tests/unit/test_case_reads_in_store.py asks a real one)
    monkeypatch.setattr(scoping, "owned_in_store", owned_in_store)


def _frame(contract: str) -> pd.DataFrame:
    """Two rows of `contract`: the first one the department's own, the second another's."""
    columns = CONTRACTS[contract].columns
    rows = [{c: f"{c}-{i}" for c in columns} for i in range(2)]
    for row, (department, sensor, case) in zip(
        rows, [(OWN, "s-own", "c-own"), (OTHER, "s-other", "c-other")], strict=True
    ):
        row.update(
            {
                k: v
                for k, v in (("department", department), ("sensor_id", sensor), ("case_id", case))
                if k in columns
            }
        )
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_every_contract_has_a_scoping_rule(contract):
    frame = _frame(contract)
    rules = [
        contract in scoping.OWN_DEPARTMENT,
        contract in scoping.VIA_PARENT,
        contract in scoping.PARK_WIDE,
    ]
    assert sum(rules) == 1, f"{contract}: exactly one rule"
    scoped = scoping.scope_frame(contract, frame, Scope(OWN))
    if contract in scoping.PARK_WIDE:
        assert len(scoped) == 2  # shared reference data
    else:
        assert len(scoped) == 1 and scoped.index.tolist() == [0], contract
    assert len(scoping.scope_frame(contract, frame, WHOLE_PARK)) == 2


def test_park_wide_contracts_have_no_department_of_their_own():
    for contract in scoping.PARK_WIDE:
        assert "department" not in CONTRACTS[contract].columns, contract


def test_alerts_are_filtered_through_their_sensor():
    alerts = pd.DataFrame(
        {"id": ["a1", "a2", "a3"], "sensor_id": ["s-own", "s-other", None], "rule": ["r"] * 3}
    )
    scoped = scoping.scope_frame("alerts", alerts, Scope(OWN))
    assert scoped["id"].tolist() == ["a1"]  # another's, and one with no sensor, stay out
    assert scoping.scope_frame("alerts", alerts, Scope("nobody")).empty


@pytest.mark.parametrize("scope", [Scope(OWN), WHOLE_PARK])
def test_an_unclassified_contract_fails_closed(scope):
    frame = pd.DataFrame({"id": ["x"]})
    with pytest.raises(ValueError, match="no department scoping rule"):
        scoping.scope_frame("work_orders", frame, scope)


def test_no_parent_rows_means_nothing_for_a_department(monkeypatch):
    monkeypatch.setattr(scoping, "snapshot", lambda name: SimpleNamespace(frame=pd.DataFrame()))
    assert scoping.scope_frame("readings", _frame("readings"), Scope(OWN)).empty


def test_a_large_contract_is_never_held_as_a_scoped_snapshot():
    with pytest.raises(ValueError, match="never read whole"):
        scoping.scoped_snapshot("cases", Scope(OWN))
