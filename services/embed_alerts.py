"""What an embedded alert strip reads (components/embed_panels.py): the newest open alerts and
the open alerts counted by severity within the scope an embed token names. No principal's
rights are asked: inside another portal's iframe there is none, and the token, verified by
security/embed_guard.py on the same request, is the authority (an admin chose to publish that
scope's alerts there). Everything signed in reads through services/alert_desk.py instead."""

from __future__ import annotations

from typing import Any

from domain.alert_lifecycle import Severity
from security.scope import Scope
from services.alert_desk import OPEN_STATES
from services.context import get_services
from store.alert_desk_rows import open_by_severity
from store.alert_rows import AlertFilter, page_of_alerts


def newest_open(scope: Scope, limit: int) -> list[dict[str, Any]]:
    """The newest open alerts within `scope`, newest raised first."""
    filters = AlertFilter(department=scope.department, states=OPEN_STATES)
    with get_services().engine.connect() as connection:
        return page_of_alerts(connection, filters, limit=limit, offset=0)[0]


def open_by_severity_in(scope: Scope) -> dict[str, int]:
    """How many alerts are open of each severity within `scope`, every severity named."""
    with get_services().engine.connect() as connection:
        counts = open_by_severity(connection, OPEN_STATES, scope.department)
    return {s.value: counts.get(s.value, 0) for s in Severity}
