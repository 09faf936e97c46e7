"""Stopping a worker's loop on SIGTERM or SIGINT (the dialer, the reminder worker).

Python runs a signal handler in the main thread between two bytecodes, which may be
inside ``Event.wait`` while that thread holds the event's internal lock. ``Event.set``
called from the handler would then wait for that lock forever: the loop never stops,
every later signal lands in the same handler, and ``kaoping stop`` has to KILL the
process after its grace period. So the handler does not set the event itself: it hands
the ``set`` to a short-lived thread, which takes the lock as soon as the main thread
lets go of it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop_on_signals(stop: threading.Event, signals: Iterable[int] = STOP_SIGNALS) -> None:
    """Set ``stop`` when one of ``signals`` arrives (call from the main thread)."""

    def handler(_signum, _frame) -> None:
        threading.Thread(target=stop.set, name="stop-on-signal", daemon=True).start()

    for sig in signals:
        signal.signal(sig, handler)
