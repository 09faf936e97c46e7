"""Pacing: at most ``cps`` calls placed per second and ``max_concurrent`` in flight.

Twilio's default account limit is 1 call per second; going faster queues calls at
Twilio, which makes "attempt time" drift from when the dialer placed the call, so the
dialer keeps under the limit itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    """A token bucket of capacity 1 refilled at ``cps`` tokens per second (thread-safe)."""

    def __init__(self, cps: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if cps <= 0:
            raise ValueError("cps must be positive")
        self.interval = 1.0 / cps
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Reserve the next slot; return the seconds to wait before using it."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            return slot - now

    def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            self.sleep(delay)


def free_lines(max_concurrent: int, in_flight: int) -> int:
    """How many more calls may be placed now."""
    return max(0, max_concurrent - in_flight)
