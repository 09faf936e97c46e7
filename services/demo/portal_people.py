"""The portal's part of ``kaoping demo``: one person per role, each signing in.

Each person gets a generated password, printed here once (only its Argon2 hash is kept).
The inspector is ``demo-inspector``, whom the inspection demo assigned its visits; the
unit reporter acts for a township with an open rectification order and key tasks
(T01 when there is none). Each signs in through the portal over HTTP and opens their
home page, which reads the services' APIs with that person's token; the unit reporter
also opens its pages (the self-check of the demo's last month, where it corrects one
value with a reason through the form, key tasks, orders). The inspection
demo's plans are for June 2026; so that the inspector's field pages have today's work,
a planner adds an open plan for today (three townships) and the inspector opens them.
The planner then opens the console's pages (polls, campaigns, inspections, runs).
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import requests

from services.demo.context import DemoContext
from services.demo.county import MONTHS
from services.portal import passwords, people
from shared.config import county_today
from shared.db import make_engine, session_factory, session_scope, utcnow

PEOPLE = (("demo-admin", "admin", None, "管理员"),
          ("demo-planner", "planner", None, "考评办"),
          ("demo-inspector", "inspector", None, "督查员"),
          ("demo-unit", "unit", "T01", "乡镇自查专员"),
          ("demo-analyst", "analyst", None, "分析员"),
          ("demo-leader", "leader", None, "县领导"))
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VISIT_LINK = re.compile(r'href="(/field/visits/\d+)"')
INDICATOR = re.compile(r'<fieldset class="indicator"')
INPUT = re.compile(r'<input[^>]* name="([^"]+)"[^>]* value="([^"]*)"')
TEXTAREA = re.compile(r'<textarea[^>]* name="([^"]+)"[^>]*>(.*?)</textarea>', re.S)
CORRECTED = re.compile(r'<tr data-indicator="[^"]+" data-version="(\d+)"')
TASK = re.compile(r'<section class="task"')
ORDER_ROW = re.compile(r'<tr data-id="\d+"')
RUN_LINK = re.compile(r'href="(/dashboard/runs/\d+)"')
CHART = re.compile(r'<img src="([^"]+\.svg[^"]*)"')


def create_people(database_url: str, reporting_unit: str | None = None) -> dict[str, str]:
    """Create the demo's people in the portal's database at ``database_url`` (the unit
    reporter for ``reporting_unit`` when given); return username -> password."""
    made = {}
    engine = make_engine(database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            for username, role, unit, name in PEOPLE:
                unit = reporting_unit if role == "unit" and reporting_unit else unit
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
    today = county_today()
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


def reporting_unit(ctx: DemoContext) -> str:
    """The township whose reporter the demo signs in as: one with an open rectification
    order and key tasks (so that every unit page has the demo's data), else one with an
    open order, else T01."""
    orders = ctx.client("inspection", "planner").get_json("/api/v1/orders")
    open_units = sorted({o["unit"] for o in orders if o["state"] != "closed"
                         and o["unit"].startswith("T")})
    tasks = {t["unit"] for t in ctx.client("scoring", "planner").get_json("/api/v1/key-tasks")}
    both = [unit for unit in open_units if unit in tasks]
    return (both or open_units or ["T01"])[0]


def correct_a_value(browser: requests.Session, url: str, unit: str, month: str,
                    reason: str) -> str | None:
    """Correct the first reported value of ``unit``'s ``month`` through the portal's form
    (the actual value up by one, the rest as the form shows it, with ``reason``); the
    indicator corrected, or None when the month has no value."""
    page = f"{url}/units/{unit}/self-checks?period={month}"
    form = browser.get(page, timeout=30).text
    fields = {name: html.unescape(value) for name, value in INPUT.findall(form)}
    fields.update({name: html.unescape(text).strip() for name, text in TEXTAREA.findall(form)})
    reported = [name for name, value in fields.items() if name.startswith("actual-") and value]
    if not reported:
        return None
    fields[reported[0]] = f"{float(fields[reported[0]]) + 1:g}"
    fields["reason"] = reason
    browser.post(page, data=fields, timeout=30)
    return reported[0].removeprefix("actual-")


def open_unit_pages(url: str, username: str, password: str, unit: str,
                    month: str) -> dict[str, tuple[int, int]]:
    """Sign in as the unit reporter and open its pages: each page's status and what it
    shows (indicators of the month, versions in the correction history, key tasks,
    rectification orders)."""
    browser = signed_in(url, username, password)
    correct_a_value(browser, url, unit, month, "核对原始台账后更正 / corrected after checking "
                                                  "the ledger")

    def page(path: str, pattern: re.Pattern) -> tuple[int, int]:
        answer = browser.get(f"{url}{path}", timeout=30, allow_redirects=False)
        return answer.status_code, len(pattern.findall(answer.text))

    return {"self-check": page(f"/units/{unit}/self-checks?period={month}", INDICATOR),
            "history": page(f"/units/{unit}/self-checks?period={month}", CORRECTED),
            "key tasks": page(f"/units/{unit}/key-tasks", TASK),
            "orders": page("/orders", ORDER_ROW)}
def open_dashboard(url: str, username: str, password: str) -> tuple[int, list[str], int]:
    """Sign in as the person and open the dashboard, then the newest published run's
    page and its charts: the dashboard's status, the runs' pages, the charts drawn."""
    browser = signed_in(url, username, password)
    index = browser.get(f"{url}/dashboard/", timeout=30, allow_redirects=False)
    runs = RUN_LINK.findall(index.text)
    drawn = 0
    if runs:
        page = browser.get(f"{url}{runs[0]}", timeout=60)
        for source in CHART.findall(page.text):
            chart = browser.get(f"{url}{html.unescape(source)}", timeout=60)
            drawn += chart.status_code == 200 and chart.headers.get(
                "Content-Type", "").startswith("image/svg+xml")
    return index.status_code, runs, drawn


def run(ctx: DemoContext) -> None:
    ctx.section("The portal: one person per role")
    url = ctx.url("portal")
    unit = reporting_unit(ctx)
    made = create_people(ctx.settings.portal_database_url, unit)
    ctx.say("  Passwords are shown this once; only their Argon2id hashes are kept.")
    for username, role, _unit, _name in PEOPLE:
        status, rows = open_home(url, username, made[username])
        ctx.say(f"  {role:<9} {username:<15} password {made[username]}  "
                f"home page {status}, {rows} rows" + (f" (unit {unit})" if role == "unit"
                                                      else ""))
    plan_todays_field_work(ctx)
    status, visits = open_field_pages(url, "demo-inspector", made["demo-inspector"])
    ctx.say(f"  Field pages of demo-inspector (on a phone, off line too): {url}/field/ "
            f"({status}, {len(visits)} visits today"
            + (f"; e.g. {url}{visits[0]}" if visits else "") + ")")
    pages = open_unit_pages(url, "demo-unit", made["demo-unit"], unit, MONTHS[-1])
    ctx.say(f"  Unit pages of demo-unit ({unit}): {url}/units/{unit}/self-checks?period="
            f"{MONTHS[-1]} ({pages['self-check'][0]}, {pages['self-check'][1]} indicators, "
            f"one value corrected there with a reason: {pages['history'][1]} versions in its "
            f"history), key tasks "
            f"({pages['key tasks'][0]}, {pages['key tasks'][1]}), rectification orders "
            f"({pages['orders'][0]}, {pages['orders'][1]})")
    status, runs, drawn = open_dashboard(url, "demo-leader", made["demo-leader"])
    ctx.say(f"  Dashboard of demo-leader: {url}/dashboard/ ({status}, {len(runs)} published "
            f"runs" + (f"; {url}{runs[0]}: {drawn} charts drawn" if runs else "") + ")")
    console = open_console(url, "demo-planner", made["demo-planner"])
    ctx.say("  Planner's console of demo-planner: " + ", ".join(
        f"{url}{path} ({status}, {rows} rows)" for path, status, rows in console))
    ctx.say(f"  Sign in at {url}/ (the language switch is at the top right).")
