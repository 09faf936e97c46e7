"""The portal's part of ``kaoping demo``: one person per role, each signing in.

Each person gets a generated password, printed here once (only its Argon2 hash is kept).
The inspector is ``demo-inspector``, whom the inspection demo assigned its visits; the
unit reporter acts for T01. Each signs in through the portal over HTTP and opens their
home page, which reads the services' APIs with that person's token. The inspection
demo's plans are for June 2026; so that the inspector's field pages have today's work,
a planner adds an open plan for today (three townships) and the inspector opens them.
The planner then opens the console's pages (polls, campaigns, inspections, runs).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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
VISIT_LINK = re.compile(r'href="(/field/visits/\d+)"')
COUNTY_TIME = ZoneInfo("Asia/Shanghai")


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


def signed_in(url: str, username: str, password: str) -> requests.Session:
    """A session of the portal signed in as the person."""
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{url}/sign-in", timeout=10).text).group(1)
    browser.post(f"{url}/sign-in", timeout=30, data={"csrf_token": token, "username": username,
                                                     "password": password})
    return browser


def open_home(url: str, username: str, password: str) -> tuple[int, int]:
    """Sign in as the person; the home page's status and how many table rows it shows."""
    home = signed_in(url, username, password).get(f"{url}/", timeout=30, allow_redirects=False)
    return home.status_code, home.text.count("<tr data-")


def plan_todays_field_work(ctx: DemoContext) -> int:
    """An open plan from today for three days, on the newest checklist, for the demo's
    inspector at three townships (with their registered places); the plan's id."""
    planner = ctx.client("inspection", "planner")
    checklist = planner.get_json("/api/v1/checklists")[-1]
    townships = ctx.client("scoring", "planner").get_json(
        "/api/v1/units", params={"kind": "township"})[:3]
    today = datetime.now(COUNTY_TIME).date()
    plan = planner.post_json("/api/v1/plans", {
        "name": "今日现场明查 / Today's field checks", "kind": "open",
        "template_id": checklist["id"], "window_from": today.isoformat(),
        "window_to": (today + timedelta(days=2)).isoformat(), "inspectors": ["demo-inspector"],
        "targets": [{"unit": u["code"], **({"lat": u["lat"], "lon": u["lon"]}
                                           if u.get("lat") is not None
                                           and u.get("lon") is not None else {})}
                    for u in townships]})
    return plan["id"]


def open_field_pages(url: str, username: str, password: str) -> tuple[int, list[str]]:
    """Sign in as the inspector and open today's work: its status and the visit pages."""
    work = signed_in(url, username, password).get(f"{url}/field/", timeout=30,
                                                  allow_redirects=False)
    return work.status_code, sorted(set(VISIT_LINK.findall(work.text)))


# The planner's console: polls, telephone campaigns, inspections, assessment runs.
CONSOLE = ("/polls/", "/campaigns/", "/plans/", "/runs")


def open_console(url: str, username: str, password: str) -> list[tuple[str, int, int]]:
    """Sign in as the planner and open each console page: (path, status, table rows)."""
    browser = signed_in(url, username, password)
    opened = []
    for path in CONSOLE:
        page = browser.get(f"{url}{path}", timeout=60, allow_redirects=False)
        opened.append((path, page.status_code, page.text.count("<tr data-")))
    return opened


def run(ctx: DemoContext) -> None:
    ctx.section("The portal: one person per role")
    url = ctx.url("portal")
    made = create_people(ctx.settings.portal_database_url)
    ctx.say("  Passwords are shown this once; only their Argon2id hashes are kept.")
    for username, role, unit, _name in PEOPLE:
        status, rows = open_home(url, username, made[username])
        ctx.say(f"  {role:<9} {username:<15} password {made[username]}  "
                f"home page {status}, {rows} rows" + (f" (unit {unit})" if unit else ""))
    plan_todays_field_work(ctx)
    status, visits = open_field_pages(url, "demo-inspector", made["demo-inspector"])
    ctx.say(f"  Field pages of demo-inspector (on a phone, off line too): {url}/field/ "
            f"({status}, {len(visits)} visits today"
            + (f"; e.g. {url}{visits[0]}" if visits else "") + ")")
    console = open_console(url, "demo-planner", made["demo-planner"])
    ctx.say("  Planner's console of demo-planner: " + ", ".join(
        f"{url}{path} ({status}, {rows} rows)" for path, status, rows in console))
    ctx.say(f"  Sign in at {url}/ (the language switch is at the top right).")
