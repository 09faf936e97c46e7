"""Pid files of the suite's processes, under ``var/run/``.

``<name>.pid`` holds the pid of a process that ``kaoping run`` or ``kaoping start``
started (the leader of a process group of its own), or of one that registered itself: a
``kaoping dialer`` started by hand writes ``dialer.pid``, or ``dialer-<pid>.pid`` when
another live dialer holds that one (several dialers may run at once). A process name
never contains ``-``, so ``<name>-<anything>.pid`` belongs to ``<name>``.

A pid file is trusted only while its process is alive and started before the file was
written; otherwise it is stale (the process ended and its pid may belong to another
process now) and is removed, so that ``kaoping stop`` never signals a stranger.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from shared.config import var_dir

# /proc start times are whole seconds from boot plus clock ticks: allow for rounding.
START_TOLERANCE = 1.0


def run_dir() -> Path:
    path = var_dir() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pidfiles(name: str | None = None) -> list[Path]:
    """Every pid file, or those of one process name (``name.pid``, ``name-*.pid``)."""
    if name is None:
        return sorted(run_dir().glob("*.pid"))
    return sorted([*run_dir().glob(f"{name}.pid"), *run_dir().glob(f"{name}-*.pid")])


def process_name(pidfile: Path) -> str:
    return pidfile.stem.split("-", 1)[0]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def started_at(pid: int) -> float | None:
    """When a process started (seconds since the epoch, from /proc); None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    ticks = int(stat[stat.rindex(")") + 2:].split()[19])
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def read_pid(pidfile: Path) -> int | None:
    """The pid a pid file holds; None (and the file removed) when it holds none, or one
    that is never ours to signal: init (1 or less, which ``killpg`` would turn into
    "every process"), this process or its process group."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        pid = None
    if pid is None or pid <= 1 or pid in (os.getpid(), os.getpgrp()):
        pidfile.unlink(missing_ok=True)
        return None
    return pid


def live_pid(pidfile: Path) -> int | None:
    """The pid in a pid file if its process still runs; a stale file is removed."""
    pid = read_pid(pidfile)
    if pid is None:
        return None
    try:
        written = pidfile.stat().st_mtime
    except OSError:
        return None
    start = started_at(pid)
    if alive(pid) and (start is None or start <= written + START_TOLERANCE):
        return pid
    pidfile.unlink(missing_ok=True)
    return None


def write(name: str, pid: int) -> Path:
    pidfile = run_dir() / f"{name}.pid"
    pidfile.write_text(str(pid))
    return pidfile


@contextlib.contextmanager
def registered(name: str) -> Iterator[Path]:
    """Register the current process under ``name`` while the block runs: ``name.pid``
    when it is free or already names this process (``kaoping start`` wrote it), else
    ``name-<pid>.pid``; the file is removed on the way out if it still names us."""
    pid = os.getpid()
    main = run_dir() / f"{name}.pid"
    holder = live_pid(main) if main.exists() else None
    pidfile = main if holder in (None, pid) else run_dir() / f"{name}-{pid}.pid"
    if holder != pid or pidfile != main:
        pidfile.write_text(str(pid))
    try:
        yield pidfile
    finally:
        with contextlib.suppress(OSError, ValueError):
            if int(pidfile.read_text()) == pid:
                pidfile.unlink()
