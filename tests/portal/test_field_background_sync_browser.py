"""Background Sync in a real headless Chromium: a field page that queues something
registers the outbox's sync tag, and the service worker's ``sync`` event (dispatched
through DevTools, as the browser does when it has a network again) makes the open page
send what waits, with no "online" event and no 30-s round to do it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import flask
import pytest
from playwright import sync_api

from tests.portal.field_county import PLACES, field_plans
from tests.portal.test_field_browser import PHONE, TIMEOUT_MS, sign_in
from tests.support import chromium, serving

TAG = "kaoping-field-outbox"


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_the_sync_event_makes_the_open_page_send_what_waits(
        browser, county_portal, county, make_person):
    make_person("insp1", "inspector")
    visit_id = field_plans(county)["T01"]
    lat, lon = PLACES["T01"]
    down = {"now": False}
    asked = []

    @county_portal.before_request
    def portal_down():
        if flask.request.path.startswith("/field/api/"):
            asked.append(flask.request.path)
            if down["now"]:
                return flask.Response("down", status=503)
        return None

    # Chrome allows Background Sync by default; a Playwright context only when granted.
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", permissions=["geolocation", "background-sync"],
        geolocation={"latitude": lat + 0.00027, "longitude": lon, "accuracy": 12})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # The page's timers stand still: its 30-s round cannot be what sends.
    page.clock.install()
    with serving(county_portal) as url:
        sign_in(page, url, "insp1")
        page.wait_for_selector("#field-page[data-offline-ready]")
        page.goto(f"{url}/field/visits/{visit_id}")
        page.wait_for_selector("html[data-field-ready=true]")
        page.wait_for_load_state("networkidle")
        page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
        # The portal is down: the check-in is queued, the page's own round fails, and the
        # outbox's sync tag is registered (the browser keeps it to try again later).
        down["now"] = True
        page.click("#checkin-button")
        page.wait_for_selector(".checkin-waiting")
        page.wait_for_function(f"() => navigator.serviceWorker.getRegistration('/field/')"
                               f".then(r => r.sync.getTags()).then(t => t.includes('{TAG}'))")
        assert "/field/api/session" in asked
        assert page.get_attribute(".sync-item[data-kind=checkin]", "data-status") == "waiting"
        # The portal is back. Nothing on the page sends by itself (its timers stand
        # still, the network never went, so no "online"); the browser's sync event does.
        down["now"] = False
        asked.clear()
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.wait_for_timeout(300)
        (registration,) = {r["registrationId"] for r in registrations
                           if r["scopeURL"] == f"{url}/field/" and not r["isDeleted"]}
        cdp.send("ServiceWorker.dispatchSyncEvent", {
            "origin": url, "registrationId": registration, "tag": TAG, "lastChance": False})
        sync_api.expect(page.locator(".sync-item[data-kind=checkin]")).to_have_attribute(
            "data-status", "sent", timeout=10_000)
        assert asked[:2] == ["/field/api/session", f"/field/api/visits/{visit_id}/check-in"]
        # Sent, nothing waits: the worker's event succeeds and the tag is gone.
        page.wait_for_function(f"() => navigator.serviceWorker.getRegistration('/field/')"
                               f".then(r => r.sync.getTags()).then(t => !t.includes('{TAG}'))")
    context.close()
