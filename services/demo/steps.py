"""``kaoping demo``: the main job, run against the services that ``kaoping run`` started.

The demo is a list of steps. The first shows the suite answering each role; each
service adds its part of the mid-year assessment as a module with ``run(ctx)``
listed in ``STEPS`` (a step whose module is not there yet is left out).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from shared.auth import ROLES, issue_token
from shared.client import ServiceClient
from shared.config import var_dir
from shared.gunicorn_settings import service_url

SERVICES = ("survey", "scoring", "inspection")
# Order of the mid-year assessment: county registry, polls, inspections, scores; then
# the portal's people, who sign in and see it.
STEPS = (
    "services.demo.steps:foundation",
    "services.demo.scoring_intake:run",
    "services.demo.web_poll:run",
    "services.demo.phone_poll:run",
    "services.demo.inspections:run",
    "services.demo.assessment:run",
    "services.demo.portal_people:run",
)


@dataclass
class DemoContext:
    """What steps share: clients per service and role, outputs folder, state."""

    out_dir: Path
    state: dict[str, Any] = field(default_factory=dict)
    sections: int = 0
    _last_progress: float = 0.0

    def url(self, service: str) -> str:
        return service_url(service)

    def client(self, service: str, role: str = "admin", unit: str | None = None) -> ServiceClient:
        token = issue_token(f"demo-{role}", role, unit, ttl=4 * 3600)
        return ServiceClient(service, self.url(service), token, timeout=60)

    def say(self, text: str = "") -> None:
        print(text, flush=True)

    def section(self, title: str) -> None:
        """Print a numbered section heading."""
        self.sections += 1
        self.say(f"== {self.sections}. {title} ==")

    def progress(self, line: str, *, final: bool = False) -> None:
        """A live progress line: rewritten in place on a terminal; in a log, one line
        every 5 s and the final one."""
        if sys.stdout.isatty():
            print("\r" + line.ljust(78), end="\n" if final else "", flush=True)
        elif final or time.monotonic() - self._last_progress >= 5:
            self._last_progress = time.monotonic()
            self.say(line)

    def save(self, name: str, content: str | bytes) -> Path:
        path = self.out_dir / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path


def foundation(ctx: DemoContext) -> None:
    """Each service is ready, rejects a missing token, and reads every role's token."""
    ctx.section("The suite answers")
    for service in SERVICES:
        ready = requests.get(f"{ctx.url(service)}/readyz", timeout=5).json()
        anonymous = requests.get(f"{ctx.url(service)}/api/v1/whoami", timeout=5).status_code
        ctx.say(f"  {service:<11} {ready['status']:<6} checks={json.dumps(ready['checks'])} "
                f"no-token={anonymous}  docs={ctx.url(service)}/docs")
    for role in ROLES:
        unit = "T01" if role == "unit" else None
        who = ctx.client("scoring", role, unit).get_json("/api/v1/whoami")
        ctx.say(f"  token for {role:<9} -> scoring sees sub={who['sub']} role={who['role']}"
                + (f" unit={who['unit']}" if who.get("unit") else ""))


def _load(step: str):
    module_name, func = step.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, func)


def run_demo(out_dir: Path | None = None) -> DemoContext:
    out = out_dir or var_dir() / "demo"
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out)
    for step in STEPS:
        func = _load(step)
        if func is not None:
            func(ctx)
            ctx.say()
    ctx.say(f"Demo outputs are in {out}")
    ctx.say(f"Portal: {ctx.url('portal')}/ (sign in with a username and password above)")
    return ctx


def register(sub) -> None:
    demo = sub.add_parser("demo", help="run the demo scenario against running services")
    demo.add_argument("--out", type=Path, default=None, help="folder for outputs (var/demo)")
    demo.set_defaults(func=lambda args: (run_demo(args.out), 0)[-1])
