"""``kaoping migrate | run | start | stop | restart | status``: databases and processes.

``run`` migrates and starts every process that is not running yet, each in its own
session (process group) with its pid file under ``var/run/`` (``services.cli.pidfiles``),
then waits until every service's ready URL answers 200. ``start``, ``stop`` and
``restart`` do the same for the processes named (survey, scoring, inspection, and what
services add: carrier, dialer); ``stop`` without names stops everything with a pid file,
including dialers started by hand. Stopping a process TERMs its process group (or the
process alone when it leads none, e.g. a dialer started from a script), KILLs what is
left after a grace period, and removes its pid file.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from services.cli.pidfiles import (
    alive,
    live_pid,
    pidfiles,
    process_name,
    read_pid,
    run_dir,
    write,
)
from shared.config import ROOT, DatabaseSettings, var_dir
from shared.db import engine_for
from shared.gunicorn_settings import service_url
from shared.migrations import service_migrations_dir, upgrade

SERVICES = ("survey", "scoring", "inspection", "portal")
# The services with an API (and its /docs page); the portal serves pages to people.
API_SERVICES = ("survey", "scoring", "inspection")
__all__ = ["API_SERVICES", "ProcessSpec", "group_processes", "migrate_all", "process_specs",
           "run_dir", "start", "stop", "stop_all"]


@dataclass
class ProcessSpec:
    """A long-running process that ``kaoping run`` starts."""

    name: str
    argv: list[str]
    ready_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def migrate_all(quiet: bool = False) -> None:
    for service in SERVICES:
        engine = engine_for(DatabaseSettings.from_env(service))
        try:
            upgrade(engine, service_migrations_dir(service))
        finally:
            engine.dispose()
        if not quiet:
            print(f"  {service}: migrations at head ({engine.url.render_as_string()})")


def process_specs() -> list[ProcessSpec]:
    """The services under gunicorn, then what services add (``processes()``)."""
    specs = [
        ProcessSpec(service, [sys.executable, "-m", "gunicorn", "-c",
                              str(ROOT / "services" / service / "gunicorn.conf.py")],
                    ready_url=f"{service_url(service)}/readyz")
        for service in SERVICES
    ]
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.processes")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{service}.processes":
                raise
            continue
        specs.extend(module.processes())
    return specs


def specs_named(names: list[str]) -> list[ProcessSpec]:
    """The specs of ``names`` in start order (all of them for no names); SystemExit for
    a name that is not a process of this configuration."""
    specs = process_specs()
    unknown = [n for n in names if n not in {s.name for s in specs}]
    if unknown:
        raise SystemExit(f"kaoping: no process {', '.join(unknown)}; the processes are "
                         f"{', '.join(s.name for s in specs)}")
    return [s for s in specs if not names or s.name in names]


def running(name: str) -> list[int]:
    """Pids of the live processes registered under ``name``."""
    return [pid for pid in map(live_pid, pidfiles(name)) if pid is not None]


def launch(spec: ProcessSpec) -> int:
    """Start one process in a session of its own, logging to ``var/log/<name>.log``, and
    write its pid file; return its pid."""
    logs = var_dir() / "log"
    logs.mkdir(exist_ok=True)
    with open(logs / f"{spec.name}.log", "ab") as log:
        process = subprocess.Popen(spec.argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   env={**os.environ, **spec.env})
    write(spec.name, process.pid)
    print(f"  started {spec.name:<12} pid {process.pid}  log {logs / (spec.name + '.log')}")
    return process.pid


def start(specs: list[ProcessSpec], timeout: float = 60.0) -> list[str]:
    """Start each process that is not running yet, then wait until every ready URL
    answers 200; return the names started. On a timeout, stop what was started here."""
    started = []
    for spec in specs:
        pids = running(spec.name)
        if pids:
            print(f"  running {spec.name:<12} pid {', '.join(map(str, pids))} (left as is)")
            continue
        launch(spec)
        started.append(spec.name)
    deadline = time.monotonic() + timeout
    for spec in specs:
        if spec.ready_url is not None:
            _wait_ready(spec, deadline, started, timeout)
    return started


def _wait_ready(spec: ProcessSpec, deadline: float, started: list[str], timeout: float) -> None:
    while True:
        try:
            if requests.get(spec.ready_url, timeout=2).status_code == 200:
                print(f"  ready   {spec.name:<12} {spec.ready_url}")
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop(started)
            raise SystemExit(f"kaoping: {spec.name} not ready after {timeout:.0f} s; "
                             f"see {var_dir() / 'log' / (spec.name + '.log')}")
        time.sleep(0.2)


def stop(names: list[str] | None = None, grace: float = 10.0) -> list[str]:
    """Stop the processes registered under ``names`` (every pid file for None): TERM,
    then KILL what is left after ``grace`` seconds; return the pid files' names stopped."""
    files = pidfiles() if names is None else [f for n in names for f in pidfiles(n)]
    targets = []
    for pidfile in files:
        pid = read_pid(pidfile)
        if pid is None:
            continue
        # A leader that died leaving its workers: its group id cannot have been reused.
        orphans = not alive(pid) and _has_members(pid)
        if live_pid(pidfile) is not None or orphans:
            targets.append((pidfile, pid))
    for _pidfile, pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for pidfile, pid in targets:
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _running(pid):
            _signal(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)
    return [f.stem for f, _pid in targets]


def stop_all(grace: float = 10.0) -> list[str]:
    """Stop everything that has a pid file."""
    return stop(None, grace)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _signal(pid: int, sig: int) -> None:
    """Signal a process's group when it leads one (a server and its workers) or led it,
    else the process alone (a dialer started by hand in a shell's or a script's group)."""
    if pid <= 1 or pid == os.getpgrp():  # never "every process", never ourselves
        return
    try:
        if not alive(pid) or _leads_group(pid):
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _running(pid: int) -> bool:
    if _group_alive(pid):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return _state(pid) not in (None, "Z")


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()[0]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # A zombie leader of our own keeps the group "alive"; reap it if it is ours.
    try:
        finished, _ = os.waitpid(pgid, os.WNOHANG)
        return finished == 0 or _has_members(pgid)
    except ChildProcessError:
        return _has_members(pgid)


def _has_members(pgid: int) -> bool:
    return any(state != "Z" for state, _ticks in group_processes(pgid))


def group_processes(pgid: int):
    """``(state, user + system CPU ticks)`` of each process in a process group, from
    /proc (Linux)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:
            yield fields[0], int(fields[11]) + int(fields[12])


def register(sub) -> None:
    migrate = sub.add_parser("migrate", help="apply every service's migrations")
    migrate.set_defaults(func=lambda args: (print("migrating"), migrate_all(), 0)[-1])
    run = sub.add_parser("run", help="migrate, start on 127.0.0.1 what is not running, wait "
                                     "ready")
    run.add_argument("--timeout", type=float, default=60.0)
    run.set_defaults(func=_run)
    for action, text in (("start", "start the processes named (e.g. dialer) and wait ready"),
                         ("restart", "stop, then start the processes named (all for none)")):
        command = sub.add_parser(action, help=text)
        command.add_argument("names", nargs="*" if action == "restart" else "+",
                             metavar="PROCESS",
                             help="survey, scoring, inspection, carrier, dialer")
        command.add_argument("--timeout", type=float, default=60.0)
        command.set_defaults(func=_start if action == "start" else _restart)
    halt = sub.add_parser("stop", help="stop the processes named, or every one with a pid "
                                       "file (also dialers started by hand)")
    halt.add_argument("names", nargs="*", metavar="PROCESS")
    halt.set_defaults(func=_stop)
    status = sub.add_parser("status", help="list the processes and their pids")
    status.set_defaults(func=_status)


def _run(args) -> int:
    print("migrating")
    migrate_all()
    print("starting")
    start(process_specs(), timeout=args.timeout)
    print("Kaoping is running. Docs: " + ", ".join(
        f"{service_url(s)}/docs" for s in API_SERVICES) + ".")
    print(f"Portal: {service_url('portal')}/ (sign in; `kaoping user create` adds people). "
          "Stop with `kaoping stop`.")
    return 0


def _start(args) -> int:
    start(specs_named(args.names), timeout=args.timeout)
    return 0


def _restart(args) -> int:
    specs = specs_named(args.names)
    stopped = stop([s.name for s in specs])
    print("stopped " + (", ".join(stopped) if stopped else "nothing"))
    start(specs, timeout=args.timeout)
    return 0


def _stop(args) -> int:
    if args.names:
        specs_named(args.names)
    stopped = stop(args.names or None)
    print("stopped " + (", ".join(stopped) if stopped else "nothing (no live pid files)"))
    return 0


def _status(_args) -> int:
    names = [s.name for s in process_specs()]
    names += sorted({process_name(f) for f in pidfiles()} - set(names))
    for name in names:
        pids = running(name)
        print(f"  {name:<12} " + (f"running, pid {', '.join(map(str, pids))}" if pids
                                  else "stopped"))
    return 0
