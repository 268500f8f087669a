"""Figures cached by the version of the data they were computed from: a figure's cache key
carries the versions of the contracts it reads (store/data_versions.py, raised by the store's
triggers on every write), so the first read after any write (a duty officer's step, an import,
a sync, the demo simulator) computes it again, and between writes it is computed once for
every viewer. Readings are not versioned (thousands a second): a figure over them is keyed by
a READINGS_TTL_S time bucket instead.

The cache is services.cache (in-process in the embedded profile, Redis in production, shared
by the workers). Within a process one computation per figure runs at a time: a wall of screens
asking together after a write waits for one computation instead of each doing its own."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from services.cache import cache
from services.context import get_services
from store.data_versions import render_key, versions

log = logging.getLogger(__name__)

T = TypeVar("T")

READINGS_TTL_S = 5  # how long a figure over readings stays: they are not versioned
# How long a figure stays when computed from inputs older than the versions it is keyed by (a
# snapshot still being read again, see `provisional`): the next read after that computes again.
PROVISIONAL_TTL_S = 1
UNVERSIONED = "readings"
# Single-flight locks kept at most (a key forgotten while in use costs one duplicate computation)
MAX_LOCKS = 10_000


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A cached figure, when it was computed, and the data versions it was computed at (a card
    shows "computed at")."""

    value: T
    computed_at: datetime
    versions: dict[str, int]


_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()
_computing = threading.local()


def single_flight(key: str) -> threading.Lock:
    """The lock one computation of `key` holds in this process (others asking wait for it)."""
    with _locks_lock:
        if len(_locks) >= MAX_LOCKS:  # keys carry filters and ranges: forget the idle ones
            for idle in [k for k, lock in _locks.items() if not lock.locked()]:
                del _locks[idle]
        return _locks.setdefault(key, threading.Lock())


def provisional() -> None:
    """Called from within a figure's computation: what it reads is older than the versions it
    will be keyed by (a snapshot read before the write, being read again): the figure is kept
    for PROVISIONAL_TTL_S only, not until the next write."""
    _computing.provisional = True


def computing_versions() -> dict[str, int] | None:
    """Within a figure's computation, the versions it will be keyed by (None elsewhere, or when
    the store could not say)."""
    return getattr(_computing, "versions", None)


def read_versions(contracts: Iterable[str] | None) -> dict[str, int] | None:
    """The versions of `contracts`, or None when the store cannot say (unreachable)."""
    try:
        return versions(get_services().engine, contracts)
    except SQLAlchemyError:  # the figure is still served, by time, until the store answers again
        log.warning("data versions unreadable; figures cached by time", exc_info=True)
        return None


def full_key(key: str, contracts: Iterable[str], current: dict[str, int] | None, now: float) -> str:
    """`key` extended by the versions of `contracts` (and a time bucket when one of them is not
    versioned, or the versions are unknown)."""
    names = set(contracts)
    parts = [key]
    if current is None:
        parts.append(f"at:{int(now // READINGS_TTL_S)}")
    else:
        parts.append(render_key(current))
        if UNVERSIONED in names:
            parts.append(f"{UNVERSIONED}@{int(now // READINGS_TTL_S)}")
    return "|".join(parts)


def cached_figure(
    key: str, contracts: Iterable[str], compute: Callable[[], T], *, timeout_s: int | None = None
) -> Cached[T]:
    """The figure `key` computed by `compute()` from `contracts`, from the cache while none of
    them has been written since it was computed; otherwise computed now (once per process for
    concurrent callers) and cached for `timeout_s` (default: the cache's, cache_timeout_s), or
    READINGS_TTL_S when it reads readings. The versions are read once per call (one small
    SELECT). `key` must name everything else the figure depends on (scope, filters)."""
    names = sorted(set(contracts))
    current = read_versions(names)
    keyed = full_key(key, names, current, time.time())
    hit = cache.get(keyed)
    if hit is not None:
        return hit
    with single_flight(key):
        hit = cache.get(keyed)
        if hit is not None:  # another thread computed it while this one waited
            return hit
        outer = (getattr(_computing, "provisional", False), computing_versions())  # a figure within a figure
        _computing.provisional, _computing.versions = False, current
        computed_at = datetime.now(UTC)
        try:
            value = compute()
        finally:
            unsettled = _computing.provisional
            # an outer figure built on a provisional one is provisional too
            _computing.provisional, _computing.versions = outer[0] or unsettled, outer[1]
        entry = Cached(value, computed_at, current or {})
        timeout = timeout_s
        if current is None or UNVERSIONED in names:
            timeout = min(timeout or READINGS_TTL_S, READINGS_TTL_S)
        if unsettled:
            timeout = PROVISIONAL_TTL_S
        cache.set(keyed, entry, timeout=timeout)
        return entry
