"""The sensor network's state for the wall's sensors panel: each kind's sensors online, late
or silent (domain/sensor_states.py), from the registered sensors within the principal's scope
and the times of their readings in the last SILENT_AFTER (the map's sensors layer's silence,
so the panel and the map agree). Only the kinds an offline rule watches (config/alert_rules.yaml)
are counted: they are the ones expected to send readings (a camera streams video, it sends none,
and would read as silent for ever)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.alert_rules import OfflineRule
from domain.sensor_states import states_by_kind
from security.scope import Scope
from services.alert_book import rule_book
from services.context import get_services
from services.data import snapshot
from services.figure_cache import UNVERSIONED, cached_figure
from services.map_contract_layers import SILENT_AFTER
from services.scoping import scoped_snapshot
from store.alert_rows import heard_since


@dataclass(frozen=True)
class SensorStates:
    by_kind: dict[str, Counter]  # kind -> online / late / silent
    read_at: datetime  # the readings were asked now
    stale: bool  # the sensors' source is down: the register is the last read


def sensor_states(scope: Scope, now: datetime | None = None) -> SensorStates:
    """As of `now`; without it, from the figure cache (services/figure_cache.py): readings are
    not versioned, so a read is shared for a few seconds' bucket (READINGS_TTL_S) by every
    screen showing the panel for the same scope, and computed again when the sensor register
    changes."""
    if now is not None:
        return _states(scope, now)
    key = f"sensor-states:{scope.department or '*'}"
    return cached_figure(key, ("sensors", UNVERSIONED), lambda: _states(scope, datetime.now(UTC))).value


def _states(scope: Scope, now: datetime) -> SensorStates:
    if get_services().sources.source_of("sensors") is None:
        return SensorStates({}, now, False)
    frame = scoped_snapshot("sensors", scope)
    watched = {k for rule in rule_book().rules if isinstance(rule, OfflineRule) for k in rule.sensor_kinds}
    frame = frame[frame["kind"].isin(watched)]
    kinds = dict(zip(frame["id"], frame["kind"], strict=True))
    with get_services().engine.connect() as connection:
        heard = heard_since(connection, now - SILENT_AFTER)
    return SensorStates(states_by_kind(kinds, heard, now, SILENT_AFTER), now, snapshot("sensors").stale)
