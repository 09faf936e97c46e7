"""Field page benchmark: what the first load of a visit page costs an inspector on a slow
mobile network.

The real scoring, inspection and portal apps (SQLite in a temporary folder) are served
over loopback HTTP; a 20-item checklist (8 yes/no, 4 score, 4 measurement, 4 text) and a
visit for today are created through the APIs. Debian's Chromium (Playwright, phone
viewport 390×844) signs in on the home page, then the visit page is opened under
Chromium's "Slow 3G" profile, set with the DevTools protocol
(``Network.emulateNetworkConditions``: 2,000 ms latency, 50,000 bytes/s down and up —
DevTools' preset, 500 kbit/s × 0.8 and 400 ms × 5) with the browser cache off and no
service worker yet: a first load.

Printed per run, then the median of the runs:

- transfer: bytes on the wire (``encodedDataLength`` of every response of the page,
  headers included; the script and stylesheets gzipped, the page itself not, see
  ``services/portal/compression.py``) until the script is ready; target under 300 KB;
- first paint, "readable and typable": the first contentful paint (the server-rendered
  sheet: every item can be read and typed into, and what is typed before the script
  runs is kept when it does);
- usable, "the sheet works": the whole sheet is in the page and painted (the form's
  last control, the submit button, is in the document, and a frame has been drawn
  since; seen by a MutationObserver the benchmark adds with Playwright's init script,
  not by the page): it is a form that checks in with a reason and submits the visit
  with its photos, finding and order before the script arrives (``field_form.py``;
  tests/portal/test_field_slow_load_browser.py sends a whole visit that way). The
  parser itself waits for the stylesheets linked after the sheet (``domInteractive``
  comes with them), which hold back nothing above them;
- styled: the stylesheets have arrived (their ``responseEnd``);
- script ready, "typed values kept on the phone": the page's script has restored what
  the device keeps, saved what was typed before it (IndexedDB) and wired locating,
  photos resized on the phone and the outbox (``performance.mark("field-ready")``); a
  second request at 2 s latency after the page's own, so not below about 4 s on this
  profile (no inline script: CSP);
- then the page opened again with its service worker, on Slow 3G (the worker's own
  requests throttled too, through a DevTools session attached to it): the page is
  asked of the network first, its files come from the worker's cache; and opened with
  the network off (the worker's copy).

    .venv/bin/python bench/bench_field_page.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.config import county_today  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("KAOPING_LOG_LEVEL", "WARNING")
os.environ.setdefault("KAOPING_VAR_DIR", tempfile.mkdtemp(prefix="bench-field-var-"))

from playwright import sync_api  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from services.inspection.app import create_app as inspection_app  # noqa: E402
from services.portal import people  # noqa: E402
from services.portal.app import create_app as portal_app  # noqa: E402
from services.scoring.app import create_app as scoring_app  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.db import make_engine, session_factory, session_scope  # noqa: E402
from shared.migrations import service_migrations_dir, upgrade  # noqa: E402

CHROMIUM = os.environ.get("KAOPING_CHROMIUM", "/usr/bin/chromium")
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50000,
           "uploadThroughput": 50000}
NO_THROTTLING = {"offline": False, "latency": 0, "downloadThroughput": -1,
                 "uploadThroughput": -1}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Bench-field-page-42"
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def engine_for(folder: Path, service: str):
    engine = make_engine(f"sqlite:///{folder}/{service}.sqlite3")
    upgrade(engine, service_migrations_dir(service))
    return engine


def checklist() -> dict:
    items = []
    for i in range(8):
        items.append({"item_id": f"yn{i}", "text_zh": f"第{i + 1}项制度落实到位",
                      "text_en": f"Rule {i + 1} applied", "response_type": "pass_fail",
                      "critical": i == 0})
    for i in range(4):
        items.append({"item_id": f"pt{i}", "text_zh": f"现场管理评分{i + 1}",
                      "text_en": f"Site management {i + 1}", "response_type": "points",
                      "max_points": 10})
    for i in range(4):
        items.append({"item_id": f"sc_m{i}", "text_zh": f"新植树木面积{i + 1}",
                      "text_en": f"Area planted {i + 1}", "response_type": "measurement",
                      "unit_of_measure": "亩", "tolerance": 0.1, "tolerance_kind": "relative",
                      "photo_required": i == 0})
    for i in range(4):
        items.append({"item_id": f"tx{i}", "text_zh": f"情况说明{i + 1}",
                      "text_en": f"Remarks {i + 1}", "response_type": "text"})
    return {"code": "bench-field", "name_zh": "植树造林明查", "name_en": "Tree planting check",
            "items": items}


def seed(scoring, inspection, portal_engine) -> int:
    """The unit, the checklist, today's plan and the inspector; the visit's id."""
    admin = {"Authorization": f"Bearer {issue_token('bench', 'admin', ttl=600)}"}

    def call(app, path, body):
        response = app.test_client().post(f"/api/v1{path}", json=body, headers=admin)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()

    call(scoring, "/peer-groups", {"code": "TS", "name_zh": "乡镇", "name_en": "Townships"})
    call(scoring, "/units", {"code": "T01", "name_zh": "城关镇", "name_en": "Chengguan",
                             "kind": "township", "peer_group": "TS",
                             "active_from": "2020-01-01", "lat": 30.2741, "lon": 120.1551})
    template = call(inspection, "/checklists", checklist())["id"]
    today = county_today()
    plan = call(inspection, "/plans", {
        "name": "植树造林明查", "kind": "open", "template_id": template,
        "window_from": (today - timedelta(days=1)).isoformat(),
        "window_to": (today + timedelta(days=5)).isoformat(), "inspectors": ["insp1"],
        "targets": [{"unit": "T01", "lat": 30.2741, "lon": 120.1551}]})
    visits = inspection.test_client().get(f"/api/v1/plans/{plan['id']}/visits", headers=admin)
    with session_scope(session_factory(portal_engine)) as session:
        people.create_person(session, username="insp1", display_name="督查员", role="inspector",
                             unit=None, password=PASSWORD, actor=people.Actor("bench"),
                             now=datetime.now(UTC))
    return visits.get_json()[0]["id"]


# When the sheet's submit button is in the document and a frame has been drawn since.
SHEET_WATCH = """
new MutationObserver((changes, observer) => {
    if (document.getElementById('submit-button')) {
        observer.disconnect();
        requestAnimationFrame(() => { window.kaopingSheetPainted = performance.now(); });
    }
}).observe(document, {childList: true, subtree: true});
"""


def measure(browser, portal_url: str, visit_id: int) -> dict:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.add_init_script(SHEET_WATCH)
    page = context.new_page()
    page.goto(f"{portal_url}/sign-in")
    page.fill("#username", "insp1")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{portal_url}/", (page.url, page.inner_text("main")[:300])
    cdp = context.new_cdp_session(page)
    responses: dict[str, dict] = {}
    cdp.on("Network.responseReceived", lambda e: responses.setdefault(
        e["requestId"], {"url": e["response"]["url"]}))
    cdp.on("Network.loadingFinished", lambda e: responses.setdefault(
        e["requestId"], {"url": "?"}).update(bytes=e["encodedDataLength"]))
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    url = f"{portal_url}/field/visits/{visit_id}"
    page.goto(url, wait_until="commit", timeout=120_000)
    page.wait_for_selector("html[data-field-ready=true]", timeout=120_000)
    first = page.evaluate("""() => ({
        ready: performance.getEntriesByName('field-ready')[0].startTime,
        usable: window.kaopingSheetPainted,
        parsed: performance.getEntriesByType('navigation')[0].domInteractive,
        styled: Math.max(...performance.getEntriesByType('resource')
            .filter(r => r.name.endsWith('.css')).map(r => r.responseEnd)),
        paint: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime})""")
    files = {r["url"].replace(portal_url, ""): r.get("bytes", 0) for r in responses.values()
             if not r["url"].startswith("data:")}  # a CSS icon: no transfer
    # The service worker keeps the page; then the repeat visit, still on Slow 3G.
    page.wait_for_selector("#field-page[data-offline-ready]", timeout=120_000)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    worker = WorkerNetwork(browser)
    worker.emulate(SLOW_3G)
    repeat = timed_open(page, url)
    worker.emulate({**NO_THROTTLING, "offline": True})
    context.set_offline(True)
    offline = timed_open(page, url)
    context.close()
    return {"transfer": sum(files.values()), "files": files, "paint": first["paint"],
            "usable": first["usable"], "parsed": first["parsed"], "styled": first["styled"],
            "ready": first["ready"], "repeat": repeat, "offline": offline}


class WorkerNetwork:
    """Network conditions for the service worker's own requests (the page's emulation
    does not cover them; the worker asks the network first for a page), through one
    DevTools session attached to each worker."""

    def __init__(self, browser):
        self.session = browser.new_browser_cdp_session()
        workers = [t for t in self.session.send("Target.getTargets")["targetInfos"]
                   if t["type"] == "service_worker"]
        assert workers, "no service worker"
        self.ids = [self.session.send("Target.attachToTarget", {
            "targetId": w["targetId"], "flatten": False})["sessionId"] for w in workers]
        self.sent = 0
        self.send("Network.enable", {})

    def send(self, method: str, params: dict) -> None:
        for session_id in self.ids:
            self.sent += 1
            self.session.send("Target.sendMessageToTarget", {"sessionId": session_id,
                "message": json.dumps({"id": self.sent, "method": method, "params": params})})

    def emulate(self, conditions: dict) -> None:
        self.send("Network.emulateNetworkConditions", conditions)


def timed_open(page, url: str) -> float:
    page.goto(url, wait_until="commit", timeout=120_000)
    page.wait_for_selector("html[data-field-ready=true]", timeout=120_000)
    return page.evaluate("() => performance.getEntriesByName('field-ready')[0].startTime")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-field-"))
    engines = {s: engine_for(folder, s) for s in ("scoring", "inspection", "portal")}
    scoring = scoring_app({"ENGINE": engines["scoring"]})
    scoring_url, scoring_server = serve(scoring)
    inspection = inspection_app({"ENGINE": engines["inspection"], "SCORING_URL": scoring_url})
    inspection_url, inspection_server = serve(inspection)
    visit_id = seed(scoring, inspection, engines["portal"])
    portal = portal_app({"ENGINE": engines["portal"], "SCORING_URL": scoring_url,
                         "INSPECTION_URL": inspection_url, "SURVEY_URL": scoring_url})
    portal_url, portal_server = serve(portal)
    print(f"bench_field_page: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python "
          f"{platform.python_version()}")
    print("profile: Slow 3G (latency 2000 ms, 50,000 B/s down and up), cache off, 390x844")
    results = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        print(f"Chromium {browser.version}")
        for run in range(1, args.runs + 1):
            result = measure(browser, portal_url, visit_id)
            results.append(result)
            files = ", ".join(f"{path} {size / 1024:.1f} KB" for path, size
                              in sorted(result["files"].items()))
            print(f"run {run}: transfer {result['transfer'] / 1024:.1f} KB ({files}); "
                  f"first paint (readable, typable) {result['paint'] / 1000:.2f} s; usable (the "
                  f"sheet works as a form) {result['usable'] / 1000:.2f} s; styled "
                  f"{result['styled'] / 1000:.2f} s; script ready (typed values kept on the "
                  f"phone) {result['ready'] / 1000:.2f} s; repeat visit "
                  f"{result['repeat'] / 1000:.2f} s; off line {result['offline'] / 1000:.2f} s")
        browser.close()
    for server in (portal_server, inspection_server, scoring_server):
        server.shutdown()

    def median(key):
        return statistics.median(r[key] for r in results)

    print(f"median of {len(results)}: transfer {median('transfer') / 1024:.1f} KB "
          f"(target < 300 KB); first paint (readable, typable) {median('paint') / 1000:.2f} s; "
          f"usable (the sheet works as a form; target < 3 s) {median('usable') / 1000:.2f} s; "
          f"styled {median('styled') / 1000:.2f} s; script ready (typed values kept on the "
          f"phone) "
          f"{median('ready') / 1000:.2f} s; repeat visit "
          f"{median('repeat') / 1000:.2f} s; off line {median('offline') / 1000:.2f} s")


if __name__ == "__main__":
    main()
