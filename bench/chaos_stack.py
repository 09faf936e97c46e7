"""Processes of a chaos run: start them, find gunicorn's workers, kill -9, stop all.

Every process is started in a session (process group) of its own with its output in
``<var>/log/<name>.log``, so that stopping one ends its children too.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def gunicorn(service: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c",
            str(ROOT / "services" / service / "gunicorn.conf.py")]


class Stack:
    """The processes of one run, by name."""

    def __init__(self, var: Path, env: dict[str, str]):
        self.var = var
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self.argv: dict[str, tuple[list[str], dict[str, str]]] = {}
        (var / "log").mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None,
              stdout=None) -> subprocess.Popen:
        """Start (or restart) ``name``; ``stdout=subprocess.PIPE`` keeps its output."""
        self.argv[name] = (argv, env or {})
        log = open(self.var / "log" / f"{name}.log", "ab")  # noqa: SIM115 (kept by the child)
        process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **self.env, **(env or {})},
                                   stdout=stdout or log, stderr=log, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        log.close()
        self.processes[name] = process
        return process

    def restart(self, name: str) -> subprocess.Popen:
        argv, env = self.argv[name]
        return self.start(name, argv, env)

    def kill9(self, name: str) -> int:
        """SIGKILL the whole process (group) ``name``; return its pid."""
        process = self.processes[name]
        _signal_group(process.pid, signal.SIGKILL)
        process.wait(10)
        return process.pid

    def workers(self, name: str) -> list[int]:
        """Pids of the worker processes of gunicorn master ``name`` (its children)."""
        master = self.processes[name].pid
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == master and fields[0] != "Z":
                children.append(int(entry.name))
        return sorted(children)

    def stop(self, name: str, grace: float = 10.0) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(10)
        _signal_group(process.pid, signal.SIGKILL)  # children left behind, if any

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def wait_ready(url: str, timeout: float = 90.0) -> None:
    """Wait until ``url`` answers 200; SystemExit naming it after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"chaos: {url} not ready after {timeout:.0f} s")


class LineReader:
    """Reads a child's JSON lines in a thread; ``records`` keeps them in order."""

    def __init__(self, process: subprocess.Popen,
                 on_http: Callable[[dict], None] | None = None):
        self.on_http = on_http
        self.records: list[dict] = []
        self.events: queue.Queue[dict] = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            record = json.loads(line)
            self.records.append(record)
            if record["kind"] != "http":
                self.events.put(record)
            elif self.on_http is not None:
                self.on_http(record)

    def wait_for(self, kind: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            record = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if record["kind"] == kind:
                return record
