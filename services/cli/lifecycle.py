"""``kaoping migrate | run | stop``: databases and processes of the embedded default.

``run`` starts each process in its own session (process group) with its pid file
under ``var/run/``, then waits until every service's ``/readyz`` answers 200;
``stop`` ends each group (TERM, then KILL after a grace period) and removes the files.
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

from shared.config import ROOT, database_url, var_dir
from shared.db import make_engine
from shared.gunicorn_settings import service_url
from shared.migrations import service_migrations_dir, upgrade

SERVICES = ("survey", "scoring", "inspection", "portal")
# The services with an API (and its /docs page); the portal serves pages to people.
API_SERVICES = ("survey", "scoring", "inspection")


@dataclass
class ProcessSpec:
    """A long-running process that ``kaoping run`` starts."""

    name: str
    argv: list[str]
    ready_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def run_dir() -> Path:
    path = var_dir() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def migrate_all(quiet: bool = False) -> None:
    for service in SERVICES:
        engine = make_engine(database_url(service))
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(specs: list[ProcessSpec], timeout: float = 60.0) -> None:
    """Start every process, then wait until each ready URL answers 200."""
    logs = var_dir() / "log"
    logs.mkdir(exist_ok=True)
    for spec in specs:
        pidfile = run_dir() / f"{spec.name}.pid"
        if pidfile.exists() and _alive(int(pidfile.read_text())):
            raise SystemExit(f"kaoping run: {spec.name} is already running "
                             f"(pid {pidfile.read_text().strip()}); `kaoping stop` first")
        with open(logs / f"{spec.name}.log", "ab") as log:
            process = subprocess.Popen(spec.argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True,
                                       env={**os.environ, **spec.env})
        pidfile.write_text(str(process.pid))
        print(f"  started {spec.name:<12} pid {process.pid}  log {logs / (spec.name + '.log')}")
    deadline = time.monotonic() + timeout
    for spec in specs:
        if spec.ready_url is None:
            continue
        while True:
            try:
                if requests.get(spec.ready_url, timeout=2).status_code == 200:
                    print(f"  ready   {spec.name:<12} {spec.ready_url}")
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                stop_all()
                raise SystemExit(f"kaoping run: {spec.name} not ready after {timeout:.0f} s; "
                                 f"see {logs / (spec.name + '.log')}")
            time.sleep(0.2)


def stop_all(grace: float = 10.0) -> list[str]:
    """TERM each process group, KILL what is left after ``grace`` seconds."""
    stopped = []
    pidfiles = sorted(run_dir().glob("*.pid"))
    for pidfile in pidfiles:
        pid = int(pidfile.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        stopped.append(pidfile.stem)
    deadline = time.monotonic() + grace
    for pidfile in pidfiles:
        pid = int(pidfile.read_text())
        while _group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _group_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pidfile.unlink(missing_ok=True)
    return stopped


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
    run = sub.add_parser("run", help="migrate, start the services on 127.0.0.1, wait ready")
    run.add_argument("--timeout", type=float, default=60.0)
    run.set_defaults(func=_run)
    stop = sub.add_parser("stop", help="stop what `kaoping run` started")
    stop.set_defaults(func=_stop)


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


def _stop(_args) -> int:
    stopped = stop_all()
    print("stopped " + (", ".join(stopped) if stopped else "nothing (no pid files)"))
    return 0
