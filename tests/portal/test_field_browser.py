"""The field pages in a real headless Chromium (Debian's, through Playwright) at phone
size with the geolocation permission granted, JavaScript on, against the real survey,
scoring and inspection apps: a full visit on line; the same visit filled off line, the
page closed and opened again off line, then the network back (sent once, photos with
the SHA-256 computed on the device, one order, and nothing twice when everything is sent
again); a 409 from a visit changed elsewhere, shown and resolved as an amendment; a unit
person kept out.

``PORTAL_SCREENSHOTS=docs/screenshots`` also saves the screenshots docs/portal.md shows.
"""

from __future__ import annotations

import hashlib
import os
import struct
import uuid
import zlib
from pathlib import Path

import flask
import pytest
import requests
from playwright import sync_api

from tests.portal.field_county import PLACES, api
from tests.portal.portal_support import PASSWORD, person_token
from tests.support import chromium, serving

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def phone(browser):
    """phone(unit) -> a browser context at phone size, standing at ``unit``'s place
    (about 30 m north of it) with the location permission granted."""
    contexts = []

    def make(unit="T01", accuracy=12):
        lat, lon = PLACES[unit]
        context = browser.new_context(viewport=PHONE, locale="zh-CN",
                                      geolocation={"latitude": lat + 0.00027, "longitude": lon,
                                                   "accuracy": accuracy},
                                      permissions=["geolocation"])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def png(width: int, height: int) -> bytes:
    """A PNG photo of ``width`` × ``height`` (a colour gradient), written by hand."""
    line = bytearray()
    for x in range(width):
        line += bytes((x * 255 // width, (x * 3) % 256, 90))
    raw = b"".join(b"\x00" + bytes(line[y % 3:] + line[:y % 3]) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    at = 2
    while at < len(data):
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    raise AssertionError("no frame in the JPEG")


def shoot(page, name, locator=None, full_page=False):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        path = str(Path(SCREENSHOTS) / f"{name}.png")
        if locator is None:
            page.screenshot(path=path, full_page=full_page)
        else:
            locator.screenshot(path=path)


def sign_in(page, url, username):
    page.goto(f"{url}/sign-in?next=/field/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=登录")
    page.wait_for_url(f"{url}/field/")


def open_visit(page, url, visit_id):
    page.goto(f"{url}/field/visits/{visit_id}")
    page.wait_for_selector("html[data-field-ready=true]")


def fill_visit(page, photos=True, finding="major"):
    """Answer every item (the measured one 7.5 against T01's 10: outside 10 %), add
    photos, a finding on sanitation with its order confirmed; submit."""
    page.check("input[name='result:fire'][value=pass]")
    page.click("#item-1 details.note summary")
    page.fill("textarea[name='note:fire']", "两处通道畅通")
    page.fill("input[name='points:sanitation']", "6")
    page.fill("input[name='value:sc_count']", "7.5")
    page.fill("input[name='value:trees_area']", "12.5")
    page.check("input[name='result:trees_area'][value=pass]")
    page.fill("textarea[name='text:remarks']", "新植树木长势良好")
    if photos:
        page.set_input_files(".photo-input[data-item=sc_count]", files=[{
            "name": "trees.png", "mimeType": "image/png", "buffer": png(3000, 2000)}])
        page.wait_for_selector(".photos[data-item=sc_count] .photo")
        page.set_input_files(".photo-input[data-item=fire]", files=[{
            "name": "exit.png", "mimeType": "image/png", "buffer": png(1200, 1800)}])
        page.wait_for_selector(".photos[data-item=fire] .photo")
    else:
        page.check("input[name='result:sc_count'][value=na]")
    page.click("#item-2 .add-finding")
    page.select_option("#finding-severity", finding)
    page.fill("#finding-description", "垃圾未及时清运")
    page.click("#finding-add")
    page.check("#order-f1-confirm")
    page.fill("#order-f1-instructions", "七日内清运并上传照片")
    page.click("#submit-button")
    page.wait_for_selector("#visit-form[data-state=queued], #visit-form[data-state=sent]")


def sync_states(page):
    return page.locator("#sync-list .sync-item").evaluate_all(
        "items => items.map(i => [i.dataset.kind, i.dataset.status])")


def wait_all(page, status, count):
    sync_api.expect(page.locator(f"#sync-list .sync-item[data-status={status}]")).to_have_count(
        count, timeout=TIMEOUT_MS)


def wait_all_sent(page, count):
    wait_all(page, "sent", count)


def stored(county, visit_id):
    me = person_token("insp1", "inspector")
    visit = api(county.inspection_url, "GET", f"/visits/{visit_id}", me)
    orders = [o for o in api(county.inspection_url, "GET", "/orders", me)
              if o["visit_id"] == visit_id]
    return visit, orders


def check_photos(county, page, visit, edge=1600):
    """The photos the API holds are those the page shows, by SHA-256, and their bytes
    hash to it; each was resized on the device to ``edge`` on its long side."""
    on_page = sorted(page.locator(".photo").evaluate_all("ps => ps.map(p => p.dataset.sha256)"))
    assert len(on_page) == 2
    assert sorted(a["sha256"] for a in visit["attachments"]) == on_page
    for attachment in visit["attachments"]:
        assert attachment["status"] == "received" and attachment["content_type"] == "image/jpeg"
        content = requests.get(
            f"{county.inspection_url}/api/v1/visits/{visit['id']}/attachments/"
            f"{attachment['id']}/content", headers=person_token("insp1", "inspector"),
            timeout=10).content
        assert hashlib.sha256(content).hexdigest() == attachment["sha256"]
        assert max(jpeg_size(content)) == (edge if attachment["item_id"] == "sc_count" else 1600)
    assert {a["item_id"] for a in visit["attachments"]} == {"sc_count", "fire"}


def only_version(visit):
    """The visit's one version, and its answers by item id."""
    (version,) = visit["versions"]
    return version, {a["item_id"]: a for a in version["answers"]}


def check_answers(visit, severity="major"):
    version, answers = only_version(visit)
    assert answers["fire"]["result"] == "pass" and answers["fire"]["text"] == "两处通道畅通"
    assert answers["sanitation"]["points"] == 6
    # T01 reported 10 (hundred trees): 7.5 is 25 % off, outside the 10 % tolerance.
    assert answers["sc_count"]["value"] == 7.5 and answers["sc_count"]["self_reported"] == 10
    assert answers["sc_count"]["discrepant"] is True
    assert answers["trees_area"]["value"] == 12.5 and answers["trees_area"]["result"] == "pass"
    assert answers["remarks"]["text"] == "新植树木长势良好"
    assert [(f["ref"], f["severity"], f["item_id"]) for f in version["findings"]] == [
        ("f1", severity, "sanitation")]
    return version


def test_a_full_visit_on_line(county_portal, county, field, make_person, phone):
    make_person("insp1", "inspector")
    page = phone("T01").new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with serving(county_portal) as url:
        sign_in(page, url, "insp1")
        cards = page.locator(".visit-card").evaluate_all("cs => cs.map(c => +c.dataset.visit)")
        assert {field[u] for u in ("T01", "T02", "T03")} <= set(cards)
        assert "明日暗访" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, "field-today-phone")
        open_visit(page, url, field["T01"])
        page.click("#checkin-button")
        page.wait_for_selector(".checkin-server")
        checkin = page.inner_text("#checkin-state")
        assert "距登记位置：30 米" in checkin and "无异常提示" in checkin
        shoot(page, "field-checkin-phone", page.locator("#checkin"))
        # The self-reported figure arrived with the check-in; the discrepancy shows as typed.
        assert "自报数：10 百株" in page.inner_text("#item-3 .reported")
        assert "该单位未自报此项数据" in page.inner_text("#item-4 .reported")
        page.fill("input[name='value:sc_count']", "9.5")
        assert "在允许误差内" in page.inner_text("#item-3 .discrepancy")
        sync_api.expect(page.locator("#submit-state")).to_contain_text("保存在本机")
        # Submitting with answers missing is refused on the page, naming them.
        page.click("#submit-button")
        sync_api.expect(page.locator("#problems")).to_be_visible()
        sync_api.expect(page.locator("fieldset.item.has-error")).to_have_count(4)
        fill_visit(page)
        assert "超出允许误差" in page.inner_text("#item-3 .discrepancy")
        shoot(page, "field-measurement-phone", page.locator("#item-3"))
        wait_all_sent(page, 5)
        assert sync_states(page) == [["checkin", "sent"], ["photo", "sent"], ["photo", "sent"],
                                     ["submit", "sent"], ["order", "sent"]]
        shoot(page, "field-sync-phone", page.locator("#sync"))
        shoot(page, "field-visit-phone", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.set_viewport_size(DESKTOP)
        shoot(page, "field-visit-desktop", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        visit, orders = stored(county, field["T01"])
        assert visit["status"] == "submitted" and visit["checkin"]["provider"] == "gps"
        assert abs(visit["checkin"]["distance_m"] - 30.0) < 1
        version = check_answers(visit)
        check_photos(county, page, visit)
        (order,) = orders
        assert order["finding_id"] == version["findings"][0]["id"]
        assert order["unit"] == "T01" and order["instructions"] == "七日内清运并上传照片"
    assert errors == []


def test_a_visit_filled_off_line_is_sent_once_when_the_network_returns(
        county_portal, county, field, make_person, phone):
    make_person("insp1", "inspector")
    context = phone("T01")
    page = context.new_page()
    errors = []
    reached = []  # what the portal was asked, to show that nothing came while off line
    county_portal.before_request(lambda: reached.append(flask.request.path) and None)
    with serving(county_portal) as url:
        sign_in(page, url, "insp1")
        # The service worker keeps today's visit pages for off-line use.
        page.wait_for_selector("#field-page[data-offline-ready]")
        assert "可离线使用" in page.inner_text("#net")
        open_visit(page, url, field["T01"])
        # The page's first sync (a session check) must have come back before the
        # network goes, or it would reach the portal after the clear below.
        page.wait_for_load_state("networkidle")
        context.set_offline(True)
        reached.clear()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.click("#checkin-button")
        page.wait_for_selector(".checkin-waiting")
        assert "正在" not in page.inner_text("#net") and "离线" in page.inner_text("#net")
        fill_visit(page, finding="critical")
        wait_all(page, "waiting", 5)
        assert [state for _kind, state in sync_states(page)] == ["waiting"] * 5
        page.close()
        # Off line still: the page opens from the service worker, with everything typed.
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        response = page.goto(f"{url}/field/visits/{field['T01']}")
        assert response.from_service_worker
        page.wait_for_selector("html[data-field-ready=true]")
        assert page.input_value("input[name='value:sc_count']") == "7.5"
        assert page.input_value("textarea[name='note:fire']") == "两处通道畅通"
        assert page.locator("#visit-form").get_attribute("data-state") == "queued"
        wait_all(page, "waiting", 5)
        assert [state for _kind, state in sync_states(page)] == ["waiting"] * 5
        shoot(page, "field-offline-phone", page.locator("#sync"))
        visit, orders = stored(county, field["T01"])
        assert visit["status"] == "scheduled" and not visit["attachments"] and not orders
        # (Chromium checks the worker's own script for updates outside the emulated
        # network; nothing else may have reached the portal.)
        assert set(reached) <= {"/field/sw.js"}
        context.set_offline(False)
        wait_all_sent(page, 5)
        visit, orders = stored(county, field["T01"])
        assert visit["status"] == "submitted"
        check_answers(visit, "critical")
        check_photos(county, page, visit)
        assert len(orders) == 1
        # Everything sent again, as a device would after losing the answers: nothing twice.
        page.evaluate("""() => new Promise(done => {
            const open = indexedDB.open('kaoping-field');
            open.onsuccess = () => {
                const tx = open.result.transaction('outbox', 'readwrite');
                const outbox = tx.objectStore('outbox');
                outbox.getAll().onsuccess = e => e.target.result.forEach(op => {
                    op.status = 'waiting'; outbox.put(op); });
                tx.oncomplete = done;
            };
        })""")
        page.reload()
        page.wait_for_selector("html[data-field-ready=true]")
        wait_all_sent(page, 5)
        again, orders_again = stored(county, field["T01"])
        assert len(again["versions"]) == 1 and len(again["attachments"]) == 2
        assert [o["id"] for o in orders_again] == [o["id"] for o in orders]
    assert errors == []


def test_a_visit_changed_elsewhere_is_shown_and_resolved_as_an_amendment(
        county_portal, county, field, make_person, phone):
    make_person("insp1", "inspector")
    context = phone("T02")
    page = context.new_page()
    with serving(county_portal) as url:
        sign_in(page, url, "insp1")
        page.wait_for_selector("#field-page[data-offline-ready]")
        open_visit(page, url, field["T02"])
        context.set_offline(True)
        page.click("#checkin-button")
        page.wait_for_selector(".checkin-waiting")
        fill_visit(page, photos=False)
        # Meanwhile the visit is checked in and submitted from another device.
        me = person_token("insp1", "inspector")
        api(county.inspection_url, "POST", f"/visits/{field['T02']}/check-in", me, json={
            "lat": 30.25, "lon": 120.17, "accuracy_m": 5, "provider": "gps",
            "mock_location": False})
        api(county.inspection_url, "POST", f"/visits/{field['T02']}/submit", me, json={
            "client_uuid": str(uuid.uuid4()), "answers": [
                {"item_id": "fire", "result": "fail"}, {"item_id": "sanitation", "points": 2},
                {"item_id": "sc_count", "result": "na"}, {"item_id": "trees_area", "result": "na"},
                {"item_id": "remarks", "text": "另一台设备"}]})
        context.set_offline(False)
        page.wait_for_selector(".sync-item[data-kind=submit][data-status=refused]")
        refused = page.inner_text(".sync-item[data-kind=submit]")
        assert "409" in refused and "本次检查已提交" in refused and "作为修订发送" in refused
        assert page.locator(".sync-item[data-kind=order]").get_attribute("data-status") == "waiting"
        shoot(page, "field-conflict-phone", page.locator("#sync"))
        page.fill(".amend-reason", "现场复核后更正")
        page.click(".resolve-amend")
        wait_all_sent(page, 3)
        visit, orders = stored(county, field["T02"])
        assert [v["version"] for v in visit["versions"]] == [1, 2]
        assert visit["versions"][1]["reason"] == "现场复核后更正"
        assert {a["item_id"]: a.get("points") for a in visit["versions"][1]["answers"]}[
            "sanitation"] == 6
        (order,) = orders
        assert order["finding_id"] == visit["versions"][1]["findings"][0]["id"]


def test_a_unit_person_cannot_open_the_field_pages(county_portal, field, make_person, phone):
    make_person("unit1", "unit", "T01")
    page = phone().new_page()
    with serving(county_portal) as url:
        page.goto(f"{url}/sign-in")
        page.fill("#username", "unit1")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit] >> text=登录")
        page.wait_for_url(f"{url}/")
        for path in ("/field/", f"/field/visits/{field['T01']}"):
            response = page.goto(f"{url}{path}")
            assert response.status == 403 and page.inner_text("h1") == "无权访问"
        assert page.request.get(f"{url}/field/api/session").status == 403
        assert "现场检查" not in page.inner_text("nav")
