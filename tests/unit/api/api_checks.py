"""What the JSON API and Open311 modules share: the departments they read as, a bearer header,
and the audit rows of one action by one actor (newest first)."""

from __future__ import annotations

import pandas as pd

from security import audit

OWN = "urban_management"  # the demo department head's department
OTHER = "ecology_environment"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audited(engine, action: str, actor: str) -> pd.DataFrame:
    return audit.query(engine, audit.AuditFilter(actions=(action,), actor=actor))
