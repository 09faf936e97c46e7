"""``kaoping demo`` step 1: each service is ready, refuses a missing token, and reads a
token of every role."""

from __future__ import annotations

import json

import requests

from services.demo.context import DemoContext
from shared.auth import ROLES

API_SERVICES = ("survey", "scoring", "inspection")


def run(ctx: DemoContext) -> None:
    ctx.section("The suite answers")
    for service in API_SERVICES:
        ready = requests.get(f"{ctx.url(service)}/readyz", timeout=5).json()
        anonymous = requests.get(f"{ctx.url(service)}/api/v1/whoami", timeout=5).status_code
        ctx.say(f"  {service:<11} {ready['status']:<6} checks={json.dumps(ready['checks'])} "
                f"no-token={anonymous}  docs={ctx.url(service)}/docs")
    for role in ROLES:
        unit = "T01" if role == "unit" else None
        who = ctx.client("scoring", role, unit).get_json("/api/v1/whoami")
        ctx.say(f"  token for {role:<9} -> scoring sees sub={who['sub']} role={who['role']}"
                + (f" unit={who['unit']}" if who.get("unit") else ""))
