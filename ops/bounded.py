"""A call that is waited for at most a few seconds, and never runs twice at once.

A readiness probe must answer a load balancer in time even when the store or Redis hangs (a
host that drops packets leaves a TCP connect waiting for minutes): the check runs in its own
thread and the probe stops waiting after `timeout_s`. While a check still hangs, later probes
wait on that same check instead of starting another, so a probe every second cannot pile up
threads against a dead server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class BoundedCall(Generic[T]):
    """`call()` returns `fn()`'s result or raises its exception; raises TimeoutError when it has
    not finished within `timeout_s` (it goes on in the background and a later call collects it).
    Thread-safe."""

    def __init__(self, fn: Callable[[], T], timeout_s: float, name: str) -> None:
        self._fn = fn
        self.timeout_s = timeout_s
        self._name = name
        self._lock = threading.Lock()
        self._running: Future[T] | None = None

    def _run(self, future: Future[T]) -> None:
        try:
            future.set_result(self._fn())
        except BaseException as exc:  # handed to the waiting caller, which raises it
            future.set_exception(exc)

    def call(self) -> T:
        with self._lock:
            if self._running is None or self._running.done():
                future: Future[T] = Future()
                future.set_running_or_notify_cancel()
                # a daemon thread: a check hanging on a dead host must not hold up the process's exit
                threading.Thread(target=self._run, args=(future,), name=self._name, daemon=True).start()
                self._running = future
            running = self._running
        return running.result(timeout=self.timeout_s)
