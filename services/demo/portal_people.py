"""The portal's part of ``kaoping demo``: one person per role, each signing in.

Each person gets a generated password, printed here once (only its Argon2 hash is kept).
The inspector is ``demo-inspector``, whom the inspection demo assigned its visits; the
unit reporter acts for T01. Each signs in through the portal over HTTP and opens their
home page, which reads the services' APIs with that person's token.
"""

from __future__ import annotations

import re

import requests

from services.demo.context import DemoContext
from services.portal import passwords, people
from shared.db import make_engine, session_factory, session_scope, utcnow

PEOPLE = (("demo-admin", "admin", None, "管理员"),
          ("demo-planner", "planner", None, "考评办"),
          ("demo-inspector", "inspector", None, "督查员"),
          ("demo-unit", "unit", "T01", "城关镇填报员"),
          ("demo-analyst", "analyst", None, "分析员"),
          ("demo-leader", "leader", None, "县领导"))
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def create_people(database_url: str) -> dict[str, str]:
    """Create the demo's people in the portal's database at ``database_url``; return
    username -> password."""
    made = {}
    engine = make_engine(database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            for username, role, unit, name in PEOPLE:
                made[username] = passwords.generate()
                people.create_person(session, username=username, display_name=name, role=role,
                                     unit=unit, password=made[username],
                                     actor=people.Actor("demo"), now=utcnow())
    finally:
        engine.dispose()
    return made


def open_home(url: str, username: str, password: str) -> tuple[int, int]:
    """Sign in as the person; the home page's status and how many table rows it shows."""
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{url}/sign-in", timeout=10).text).group(1)
    browser.post(f"{url}/sign-in", timeout=30, data={"csrf_token": token, "username": username,
                                                     "password": password})
    home = browser.get(f"{url}/", timeout=30, allow_redirects=False)
    return home.status_code, home.text.count("<tr data-")


def run(ctx: DemoContext) -> None:
    ctx.section("The portal: one person per role")
    url = ctx.url("portal")
    made = create_people(ctx.settings.portal_database_url)
    ctx.say("  Passwords are shown this once; only their Argon2id hashes are kept.")
    for username, role, unit, _name in PEOPLE:
        status, rows = open_home(url, username, made[username])
        ctx.say(f"  {role:<9} {username:<15} password {made[username]}  "
                f"home page {status}, {rows} rows" + (f" (unit {unit})" if unit else ""))
    ctx.say(f"  Sign in at {url}/ (the language switch is at the top right).")
