"""The unit reporter's pages in a real headless Chromium (JavaScript off: plain forms),
with the real scoring and inspection apps behind the portal: a unit files its month,
corrects one value with a reason and sees the version history, and answers its
rectification order with a photo; every page fits a 390-px phone.

With ``PORTAL_SCREENSHOTS=<folder>`` the test saves each page at phone and desktop
width (docs/portal.md shows them, from docs/screenshots/).
"""

from __future__ import annotations

import struct
import zlib

import pytest
import requests

from shared.config import county_today
from tests.portal.portal_support import person_token
from tests.portal.test_browser import DESKTOP, PHONE, cells, shoot, sign_in
from tests.support import chromium, serving

MONTH = county_today().strftime("%Y-%m")


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def png(width=4, height=3) -> bytes:
    """A small real PNG (a photo of the cleared site, as far as the test is concerned)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x40\x90\x40" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def fits(page, viewport) -> None:
    """Nothing wider than the screen: no sideways scrolling of the page."""
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def both(browser, url, username, path, name):
    """Open ``path`` signed in at desktop width too, check it fits, shoot it."""
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, url, username)
    page.goto(f"{url}{path}")
    fits(page, DESKTOP)
    shoot(page, f"{name}-desktop")
    context.close()


def history(county, unit, username):
    return requests.get(f"{county.scoring_url}/api/v1/self-checks/history",
                        params={"unit": unit, "period": MONTH},
                        headers=person_token(username, "unit", unit), timeout=10).json()


def test_a_unit_files_its_month_corrects_a_value_and_answers_an_order_with_a_photo(
        county_portal, county, make_person, browser, tmp_path):
    make_person("unit2", "unit", "T02")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    with serving(county_portal) as url:
        sign_in(page, url, "unit2")
        page.click("nav >> text=自查自评")
        page.wait_for_load_state()
        assert page.url == f"{url}/units/T02/self-checks"
        rate = page.locator("#ind-sc_rate")
        assert rate.locator(".uom").inner_text() == "%"
        assert rate.locator(".last").inner_text() == "85"              # last month's value
        assert rate.locator(".range").inner_text() == "≥ 0"
        assert page.locator("#ind-sc_delta .range").inner_text() == "可为任意值，含负数"
        fits(page, PHONE)
        shoot(page, "unit-self-check-phone")

        # The month: three values at once.
        page.fill("#target-sc_rate", "90")
        page.fill("#actual-sc_rate", "92")
        page.fill("#narrative-sc_rate", "按计划完成")
        page.fill("#actual-sc_count", "3")
        page.fill("#actual-sc_delta", "-0.5")
        page.click("text=提交本月自查")
        page.wait_for_load_state()
        assert "数值已保存" in page.inner_text("main")
        assert sorted((v["indicator"], v["actual"], v["version"])
                      for v in history(county, "T02", "unit2")) == [
            ("sc_count", 3.0, 1), ("sc_delta", -0.5, 1), ("sc_rate", 92.0, 1)]
        assert page.locator("#ind-sc_rate .version").inner_text() == "第 1 版"

        # A correction: refused without a reason, saved with one; the history shows both.
        page.fill("#actual-sc_rate", "93.5")
        page.click("text=提交本月自查")
        page.wait_for_load_state()
        assert page.inner_text("#reason-error").strip() == "该数值已报送过：更正须填写理由。"
        assert page.input_value("#actual-sc_rate") == "93.5"           # the form kept it
        page.fill("#reason", "统计口径调整，重新核算")
        page.click("text=提交本月自查")
        page.wait_for_load_state()
        assert "数值已保存" in page.inner_text("main")
        rows = cells(page, "#history")
        assert [(row[0], row[1], row[3], row[6]) for row in rows] == [
            ("sc_rate", "1", "92", "–"), ("sc_rate (当前)", "2", "93.5", "统计口径调整，重新核算")]
        assert [(v["version"], v["actual"], v["reason"]) for v in history(county, "T02", "unit2")
                if v["indicator"] == "sc_rate"] == [(1, 92.0, None),
                                                    (2, 93.5, "统计口径调整，重新核算")]
        fits(page, PHONE)
        page.locator("#history").scroll_into_view_if_needed()
        shoot(page, "unit-self-check-corrected-phone")
        both(browser, url, "unit2", "/units/T02/self-checks", "unit-self-check")

        # The order: the list, then the reply with a photo taken on the phone.
        page.click("nav >> text=整改通知")
        page.wait_for_load_state()
        order = county.ids["order_T02"]
        assert [row[0] for row in cells(page, "#orders")] == [f"#{order}"]
        fits(page, PHONE)
        page.click(f"text=#{order}")
        page.wait_for_load_state()
        photo = tmp_path / "cleared.png"
        photo.write_bytes(png())
        page.fill("#note", "垃圾已全部清运，现场照片见附件")
        page.set_input_files("#files", str(photo))
        page.click("text=提交回复")
        page.wait_for_load_state()
        assert page.url == f"{url}/orders/{order}"
        assert "回复已提交" in page.inner_text("main")
        replies = cells(page, "#replies")
        assert len(replies) == 1 and replies[0][2] == "cleared.png"
        assert replies[0][3] == "已提交，待核验"
        stored = requests.get(f"{county.inspection_url}/api/v1/orders/{order}",
                              headers=person_token("unit2", "unit", "T02"), timeout=10).json()
        assert stored["state"] == "submitted"
        assert [(a["kind"], a["filename"], a["size"], a["status"])
                for a in stored["attachments"]] == [("photo", "cleared.png", len(png()),
                                                     "received")]
        download = page.request.get(url + page.get_attribute("#replies a", "href"))
        assert download.status == 200 and download.body() == png()
        fits(page, PHONE)
        shoot(page, "unit-order-reply-phone")
        both(browser, url, "unit2", f"/orders/{order}", "unit-order-reply")
    context.close()


def test_the_key_tasks_and_the_upload_fit_a_phone(county_portal, county, make_person, browser,
                                                 tmp_path):
    make_person("unit1", "unit", "T01")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    with serving(county_portal) as url:
        sign_in(page, url, "unit1")
        page.click("nav >> text=重点任务")
        page.wait_for_load_state()
        assert "污水管网改造" in page.inner_text("h2")
        fits(page, PHONE)
        shoot(page, "unit-key-tasks-phone")
        both(browser, url, "unit1", "/units/T01/key-tasks", "unit-key-tasks")
        page.goto(f"{url}/units/T01/self-checks/upload?period={MONTH}")
        sheet = tmp_path / "month.csv"
        sheet.write_text("unit,indicator,target,actual\nT01,sc_rate,90,九十\n"
                         "T01,sc_count,0,-1\n", encoding="utf-8")
        page.set_input_files("#sheet", str(sheet))
        page.fill("#reason", "补报")
        page.click("button >> text=上传")
        page.wait_for_load_state()
        assert [row[:2] for row in cells(page, "#row-errors")] == [
            ["2", "actual"], ["2", "actual"], ["3", "actual"]]
        assert cells(page, "#row-errors")[1][2] == "请输入数字。"
        fits(page, PHONE)
        shoot(page, "unit-upload-errors-phone")
    context.close()
