"""A worker loop stops on SIGTERM even when the signal lands while the loop's main
thread is inside ``Event.wait`` (a handler calling ``Event.set`` itself can hang there
for good: seen in CI as a dialer that `kaoping stop` had to KILL)."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Waits as the workers do, but with no pause between waits, so that most signals land
# while the main thread holds the event's lock: the window the old handler hung in.
SPINNER = """
import sys, threading
from shared.stopping import stop_on_signals
for _ in range(int(sys.argv[1])):
    stop = threading.Event()
    stop_on_signals(stop)
    print("ready", flush=True)
    while not stop.is_set():
        stop.wait(0)
    print("stopped", flush=True)
"""


def _lines(process: subprocess.Popen) -> queue.Queue:
    """The process's output lines, as they come."""
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line.strip())

    threading.Thread(target=read, daemon=True).start()
    return lines


def _next(lines: queue.Queue, seconds: float) -> str:
    try:
        return lines.get(timeout=seconds)
    except queue.Empty:
        return ""


def test_sigterm_stops_a_loop_that_is_waiting_on_its_event():
    rounds = 60
    process = subprocess.Popen([sys.executable, "-c", SPINNER, str(rounds)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    lines = _lines(process)
    try:
        for n in range(rounds):
            assert _next(lines, 30) == "ready", f"round {n}: the loop did not start"
            process.send_signal(signal.SIGTERM)
            assert _next(lines, 10) == "stopped", f"round {n}: SIGTERM did not stop it"
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
