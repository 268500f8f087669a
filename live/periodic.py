"""What the app's background jobs share (the demo simulator, the case syncs): a thread that
ticks at an interval and logs one line when its ticks start failing and one when they work
again, never a traceback per tick; and a lease in the store's meta table, so that of several
serving processes that all start the same job, the one holding the lease acts and another takes
over when the holder stops renewing it."""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from store.engine import begin_write
from store.models import Meta

log = logging.getLogger(__name__)


class PeriodicJob(ABC):
    """A job whose `tick(now)` a daemon thread calls every `interval` (tests call tick directly
    with a fixed clock). `title` names it in the log. One thread ticks: not thread-safe."""

    title: str = "a background job"

    def __init__(self, interval: timedelta) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def tick(self, now: datetime) -> Any:
        """One round; what it raises is logged (once per spell of failures) and retried."""

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self._run, name=self.title, daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self.interval.total_seconds()):
            try:
                self.tick(datetime.now(UTC))
                if failing:
                    log.info("%s works again", self.title)
                failing = False
            except Exception:  # one line when it starts failing, not a traceback per tick
                if not failing:
                    log.exception("%s failed; it retries every %s", self.title, self.interval)
                failing = True


def hold_lease(engine: Engine, key: str, owner: str, now: datetime, until: datetime) -> bool:
    """Take or renew lease `key` for `owner` until `until`; False when another owner holds it
    past `now`. One write transaction (begin_write), so two processes cannot both take it."""
    with begin_write(engine) as connection:
        raw = connection.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()
        lease = json.loads(raw) if raw else None
        if lease and lease["owner"] != owner and datetime.fromisoformat(lease["until"]) > now:
            return False
        value = json.dumps({"owner": owner, "until": until.isoformat()})
        if raw is None:
            connection.execute(insert(Meta.__table__).values(key=key, value=value))
        else:
            connection.execute(Meta.__table__.update().where(Meta.key == key).values(value=value))
    return True
