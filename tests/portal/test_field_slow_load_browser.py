"""The visit sheet on a slow first load, in a real headless Chromium at phone size: what
the inspector types into the server-rendered sheet while the script has not arrived yet
(its request held back) is kept when it runs (on the device, over what the device had
kept) and is what the submission sends; until then no button sends the form away."""

from __future__ import annotations

import json

import pytest

from tests.portal.field_county import PLACES, field_plans
from tests.portal.test_field_browser import PHONE, TIMEOUT_MS, sign_in, stored, wait_all_sent
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
    # Nothing that needs the script can be pressed yet (submit would send a GET).
    for button in ("#submit-button", "#checkin-button", "#finding-add", "#sync-now"):
        assert page.is_disabled(button), button


def test_what_is_typed_before_the_script_arrives_is_kept_and_sent(
        browser, county_portal, county, make_person):
    make_person("insp1", "inspector")
    visit_id = field_plans(county)["T01"]
    lat, lon = PLACES["T01"]
    # No service worker: the script comes from the network every time (a first load).
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", service_workers="block",
        geolocation={"latitude": lat + 0.00027, "longitude": lon, "accuracy": 12},
        permissions=["geolocation"])
    context.set_default_timeout(TIMEOUT_MS)
    errors = []
    with serving(county_portal) as url:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, url, "insp1")
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
        visit, _orders = stored(county, visit_id)
        (version,) = visit["versions"]
        answers = {a["item_id"]: a for a in version["answers"]}
        assert answers["fire"]["result"] == "pass" and answers["sanitation"]["points"] == 8
        assert answers["trees_area"]["value"] == 12.5 and answers["trees_area"]["result"] == "pass"
        assert answers["remarks"]["text"] == "脚本到达前填写", json.dumps(answers)
    context.close()
    assert errors == []
