"""A wall's cells drawn once for every screen showing them: each screen of a layout asks for the
same panels, and building a panel's components from its (cached) figures cost 25-80 ms of CPU
a refresh (bench/load.py: 200 walls refreshing every 5 s needed more than the machine's two
cores). A drawn cell is kept in this process for RENDER_TTL_S, keyed by what it depends on:
the layout and cell, the language, the scope and the reader's permissions (which alerts are
named, which sources read), every contract's data version (a write shows at the next refresh,
as with services/figure_cache.py) and a RENDER_TTL_S time bucket (readings are not versioned,
and every panel says when it was read). Per process, not in Redis: a drawn tree is bulky to
pickle and cheap to redraw once per worker.

A page's first drawing (components/wall_stage.stage) may also take a drawing of the same data
versions from an earlier time bucket, up to FIRST_DRAW_REUSE_S old: between its ticks a wall
shows drawings that old anyway, and a screen opened while others show the layout then paints at
once instead of waiting 0.15-0.7 s for its panels to be drawn (issue 13, the first render). Each
panel says when it was read; the screen's next tick draws it anew. A write (a new version) is
never hidden this way."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from security.principal import Principal
from security.scope import Scope
from services.figure_cache import read_versions, single_flight
from store.data_versions import render_key

T = TypeVar("T")

RENDER_TTL_S = 5  # the readings' bucket (figure_cache.READINGS_TTL_S): no older than a figure
MAX_CELLS = 512  # layouts x cells x languages x readers kept at most (least recently used go)
FIRST_DRAW_REUSE_S = 10  # the live panels' refresh (components/panels.REFRESH_INTERVALS)

_cells: OrderedDict[str, tuple[float, Any]] = OrderedDict()
# the newest drawing of each key without its time bucket (same data versions): when drawn, what
_latest: OrderedDict[str, tuple[float, Any]] = OrderedDict()
_cells_lock = threading.Lock()


def moment(now: float | None = None) -> str:
    """The data and time a drawing is of: every contract's version and the time bucket (one
    small SELECT; read once per page or refresh, for all its cells)."""
    now = time.time() if now is None else now
    current = read_versions(None)
    return f"{render_key(current) if current is not None else 'versions?'}@{int(now // RENDER_TTL_S)}"


def reader(principal: Principal, scope: Scope) -> str:
    """Readers who see the same drawing: the same scope and the same permissions."""
    granted = ",".join(sorted(p.value for p in principal.permissions))
    return f"{scope.department or '*'}/{hashlib.sha256(granted.encode()).hexdigest()[:16]}"


def rendered(key: str, build: Callable[[], T], *, reuse_s: float = 0) -> T:
    """`build()`'s drawing for `key` (which ends with the moment, see `moment`), drawn once in
    this process while it is kept; concurrent askers wait for one drawing. With `reuse_s`, a
    drawing of the same data versions at most that old, from an earlier time bucket, will do.
    Read-only for callers."""
    now = time.monotonic()
    hit = _fresh(key, now)
    if hit is None and reuse_s > 0:
        hit = _recent(_unbucketed(key), now - reuse_s)
    if hit is not None:
        return hit[1]
    with single_flight(f"cell:{key}"):
        hit = _fresh(key, time.monotonic())
        if hit is not None:  # drawn by another thread while this one waited
            return hit[1]
        drawn = build()
        with _cells_lock:
            now = time.monotonic()
            _cells[key] = (now + RENDER_TTL_S, drawn)
            _cells.move_to_end(key)
            # drawings of past moments are never asked for again: drop them as new ones come
            for stale in [k for k, (until, _) in _cells.items() if until <= now]:
                del _cells[stale]
            while len(_cells) > MAX_CELLS:
                _cells.popitem(last=False)
            _latest[_unbucketed(key)] = (now, drawn)
            _latest.move_to_end(_unbucketed(key))
            while len(_latest) > MAX_CELLS:
                _latest.popitem(last=False)
        return drawn


def _unbucketed(key: str) -> str:
    """`key` without its time bucket (the moment's "@<bucket>"): the same data versions."""
    return key.rpartition("@")[0] or key


def _recent(unbucketed: str, since: float) -> tuple[float, Any] | None:
    with _cells_lock:
        hit = _latest.get(unbucketed)
        return hit if hit is not None and hit[0] >= since else None


def _fresh(key: str, now: float) -> tuple[float, Any] | None:
    with _cells_lock:
        hit = _cells.get(key)
        if hit is None or hit[0] <= now:
            return None
        _cells.move_to_end(key)
        return hit
