"""The visit sheet on a slow first load, in a real headless Chromium at phone size: what
the inspector types into the server-rendered sheet while the script has not arrived yet
(its request held back) is kept when it runs (on the device, over what the device had
kept) and is what the submission sends; and before the script arrives, or with no
JavaScript at all, the sheet is a form that checks in with a reason and submits the
whole visit, photo, finding and order included, stored once."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import date, timedelta

import pytest

from tests.portal.field_county import PLACES, field_plans
from tests.portal.test_field_browser import (
    PHONE,
    TIMEOUT_MS,
    only_version,
    shoot,
    sign_in,
    stored,
    wait_all_sent,
)
from tests.support import chromium, serving

DRAFT = """key => new Promise((done, fail) => {
    const open = indexedDB.open('kaoping-field');
    open.onsuccess = () => {
        const read = open.result.transaction('drafts').objectStore('drafts').get(key);
        read.onsuccess = () => { open.result.close(); done(read.result || null); };
        read.onerror = fail;
    };
    open.onerror = fail;
})"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


class HeldScript:
    """Holds the page's requests for ``/static/field.js`` until ``release``."""

    def __init__(self, page):
        self.routes = []
        page.route("**/static/field.js", self.hold)

    def hold(self, route):
        self.routes.append(route)

    def release(self):
        while self.routes:
            self.routes.pop().continue_()


def open_held(page, url, visit_id, held):
    page.goto(f"{url}/field/visits/{visit_id}", wait_until="commit")
    page.wait_for_selector("input[name='points:sanitation']")
    assert held.routes, "the script's request was not held"
    assert page.evaluate("document.documentElement.dataset.fieldReady") is None
    # What only the script can do waits for it (locating, several findings, the outbox);
    # the sheet itself is a form that works already.
    for button in ("#checkin-button", "#finding-add", "#sync-now"):
        assert page.is_disabled(button), button
    assert page.is_enabled("#submit-button")


@contextmanager
def inspector_on_phone(browser, county_portal, **options):
    """A phone-sized context with no service worker (the script comes from the network
    every time: a first load), signed in as insp1; yields the page and the portal's
    address, and checks at the end that no page script failed."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="block",
                                  **options)
    context.set_default_timeout(TIMEOUT_MS)
    errors = []
    with serving(county_portal) as url:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, url, "insp1")
        yield page, url
    context.close()
    assert errors == []


def test_what_is_typed_before_the_script_arrives_is_kept_and_sent(
        browser, county_portal, county, make_person):
    make_person("insp1", "inspector")
    visit_id = field_plans(county)["T01"]
    lat, lon = PLACES["T01"]
    with inspector_on_phone(
            browser, county_portal, permissions=["geolocation"],
            geolocation={"latitude": lat + 0.00027, "longitude": lon, "accuracy": 12},
    ) as (page, url):
        held = HeldScript(page)
        open_held(page, url, visit_id, held)
        page.check("input[name='result:fire'][value=pass]")
        page.fill("input[name='points:sanitation']", "6")
        page.fill("input[name='value:trees_area']", "12.5")
        page.check("input[name='result:trees_area'][value=pass]")
        page.fill("textarea[name='text:remarks']", "脚本到达前填写")
        held.release()
        page.wait_for_selector("html[data-field-ready=true]")
        key = f"insp1:{visit_id}"
        fields = page.evaluate(DRAFT, key)["fields"]
        assert fields["result:fire"] == "pass" and fields["points:sanitation"] == "6"
        assert fields["value:trees_area"] == "12.5" and fields["result:trees_area"] == "pass"
        assert fields["text:remarks"] == "脚本到达前填写"
        # Opened again, slowly: the sheet comes empty from the server, what the phone kept
        # is restored, and what is typed before the script runs wins over it.
        open_held(page, url, visit_id, held)
        assert page.input_value("input[name='points:sanitation']") == ""
        page.fill("input[name='points:sanitation']", "8")
        held.release()
        page.wait_for_selector("html[data-field-ready=true]")
        assert page.input_value("input[name='points:sanitation']") == "8"
        assert page.input_value("input[name='value:trees_area']") == "12.5"
        assert page.is_checked("input[name='result:fire'][value=pass]")
        fields = page.evaluate(DRAFT, key)["fields"]
        assert fields["points:sanitation"] == "8" and fields["result:fire"] == "pass"
        assert fields["text:remarks"] == "脚本到达前填写"
        # Then the visit is finished and sent: the submission holds what was typed early.
        page.click("#checkin-button")
        page.wait_for_selector(".checkin-server")
        page.check("input[name='result:sc_count'][value=na]")
        page.click("#submit-button")
        wait_all_sent(page, 2)
        _version, answers = only_version(stored(county, visit_id)[0])
        assert answers["fire"]["result"] == "pass" and answers["sanitation"]["points"] == 8
        assert answers["trees_area"]["value"] == 12.5 and answers["trees_area"]["result"] == "pass"
        assert answers["remarks"]["text"] == "脚本到达前填写", json.dumps(answers)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16


@pytest.mark.parametrize("script", ["held", "none"])
def test_before_its_script_the_sheet_is_a_form_that_sends_the_whole_visit(
        browser, county_portal, county, make_person, script):
    make_person("insp1", "inspector")
    visit_id = field_plans(county)["T02"]
    with inspector_on_phone(browser, county_portal,
                            java_script_enabled=script == "held") as (page, url):
        if script == "held":
            held = HeldScript(page)
            open_held(page, url, visit_id, held)
        else:
            page.goto(f"{url}/field/visits/{visit_id}")
        # No location without the script: a check-in with a reason.
        if script == "none":
            shoot(page, "field-form-checkin-phone", page.locator("#checkin"))
        page.fill("#manual-reason", "山区无信号")
        # (the page's load waits for its held script: wait for the new page's HTML)
        with page.expect_navigation(wait_until="commit"):
            page.click("#manual-button")
        page.wait_for_selector("#sync")
        assert "山区无信号" in page.inner_text("#finish")
        page.check("input[name='result:fire'][value=fail]")
        page.fill("input[name='points:sanitation']", "7")
        page.fill("input[name='value:sc_count']", "3")
        page.check("input[name='result:sc_count'][value=pass]")   # T02 reported no figure
        page.set_input_files("input[name='photo:sc_count']", files=[
            {"name": "trees.png", "mimeType": "image/png", "buffer": PNG}])
        page.check("input[name='result:trees_area'][value=na]")
        page.fill("textarea[name='text:remarks']", "表单提交")
        page.select_option("#finding-item", "fire")
        page.select_option("#finding-severity", "critical")
        page.fill("#finding-description", "消防通道堵塞")
        page.check("input[name='order_confirm']")
        page.fill("#order-instructions", "立即清理")
        if script == "none":
            shoot(page, "field-form-finding-phone", page.locator("#findings"))
        with page.expect_navigation(wait_until="commit"):
            page.click("#submit-button")
        page.wait_for_selector("main h1")
        assert page.url == f"{url}/field/"
        if script == "held":
            assert page.evaluate("document.documentElement.dataset.fieldReady") is None
            held.release()
        visit, orders = stored(county, visit_id)
        version, answers = only_version(visit)
        assert answers["fire"]["result"] == "fail" and answers["sanitation"]["points"] == 7
        assert answers["sc_count"]["value"] == 3 and answers["trees_area"]["result"] == "na"
        assert answers["remarks"]["text"] == "表单提交", json.dumps(answers)
        assert visit["checkin"]["provider"] == "manual" and "山区无信号" in version["notes"]
        assert [(a["item_id"], a["sha256"], a["status"]) for a in visit["attachments"]] == [
            ("sc_count", hashlib.sha256(PNG).hexdigest(), "received")]
        assert [(f["severity"], f["description"]) for f in version["findings"]] == [
            ("critical", "消防通道堵塞")]
        assert [(o["instructions"], o["deadline"]) for o in orders] == [
            ("立即清理", (date.fromisoformat(visit["checkin"]["reference_date"])
                      + timedelta(days=7)).isoformat())]
