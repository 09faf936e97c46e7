"""The planner's console in a real headless Chromium (Debian's, through Playwright),
JavaScript on, against real services over HTTP: a planner creates a telephone campaign
on the simulated carrier, imports its numbers, starts it and watches the live monitor
fill every township's quota without the page reloading; a planner starts the mid-year
run, reads its ranking and publishes it.

``PORTAL_SCREENSHOTS=docs/screenshots`` also saves the screenshots docs/portal.md shows.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.portal.portal_support import person_token
from tests.support import chromium, serving
from tests.survey.telephony.phone_support import (
    IN_WINDOW,
    frame_csv,
    make_dialer,
    make_phone_poll,
    phone_stack,
)

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
TIMEOUT_MS = 30_000
TOWNSHIPS = ["T01", "T02", "T03"]
TARGET = 4


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(viewport=PHONE):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shoot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def sign_in(page, url, username):
    from tests.portal.portal_support import PASSWORD

    page.goto(f"{url}/sign-in")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=登录")
    page.wait_for_load_state()


def fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


class DialerThread(threading.Thread):
    """The dialer in the background, as `kaoping run` has it: it ticks, the carrier plays
    the calls; its clock moves two hours a tick (so that retries come due)."""

    def __init__(self, app, board):
        super().__init__(daemon=True)
        self.ticks = 0
        self.board = board
        self.dialer = make_dialer(app, clock=lambda: IN_WINDOW + timedelta(hours=2 * self.ticks))
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.dialer.tick()
            self.board.wait_idle(10)
            self.ticks += 1
            self.stop.wait(0.4)


def test_planner_starts_a_campaign_and_watches_the_quota_fill(
        make_app, engines, make_person, clock, new_page):
    poll_id = make_phone_poll(engines["survey"], TOWNSHIPS, target=TARGET, stop_at_quota=True)
    make_person("plan1", "planner", name="李策划")
    clock.now = datetime.now(UTC)
    with phone_stack(make_app, townships=TOWNSHIPS) as (survey_url, survey_app, board):
        portal = make_app("portal", PORTAL_CLOCK=clock, SURVEY_URL=survey_url)
        with serving(portal) as url:
            page = new_page()
            sign_in(page, url, "plan1")
            page.click("nav >> text=电话调查")
            page.select_option("#poll_id", str(poll_id))
            page.fill("#name", "年中电话调查")
            page.fill("#from_number", "+8657488880000")
            page.fill("#windows", "00:00-24:00")
            page.fill("#max_attempts", "3")
            page.fill("#max_concurrent", "24")
            page.fill("#cps", "100")
            shoot(page, "planner-campaign-new-phone")
            page.get_by_role("button", name="创建调查任务").click()
            page.wait_for_load_state()
            assert "/campaigns/" in page.url and page.inner_text("#state") == "草稿"
            campaign_id = int(page.url.rsplit("/", 1)[1])
            page.set_input_files("#frame-file", {"name": "frame.csv", "mimeType": "text/csv",
                                                 "buffer": frame_csv(TOWNSHIPS, 30)})
            page.get_by_role("button", name="导入号码").click()
            page.wait_for_load_state()
            assert "已导入 90 个号码" in page.inner_text("main")
            page.get_by_role("button", name="开始拨打").click()
            page.wait_for_load_state()
            assert page.inner_text("#state") == "拨打中"
            rows = page.locator("#monitor tbody tr")
            assert rows.count() == 3
            assert page.inner_text("#monitor tfoot [data-key=quota]") == f"0 / {3 * TARGET}"
            page.evaluate("window.kaopingSamePage = true")
            dialer = DialerThread(survey_app, board)
            dialer.start()
            try:
                expect(page.locator("#monitor tfoot [data-key=quota_fill]")).to_have_text(
                    "100.0%", timeout=90_000)
                expect(page.locator("#state")).to_have_attribute("data-state", "finished",
                                                                 timeout=30_000)
            finally:
                dialer.stop.set()
                dialer.join(30)
            # the same page all along: refreshed by monitor.js, never reloaded
            assert page.evaluate("window.kaopingSamePage") is True
            assert page.inner_text("#state") == "已完成"
            assert not page.is_visible("#actions")      # nothing left to start or pause
            progress = requests.get(
                f"{survey_url}/api/v1/telephony/campaigns/{campaign_id}/progress",
                headers=person_token("plan1", "planner"), timeout=10).json()
            for row in progress["townships"]:
                shown = page.locator(f"#monitor tbody tr[data-township={row['township']}]")
                assert shown.locator("[data-key=quota]").inner_text() == \
                    f"{row['completes']} / {TARGET}"
                assert shown.locator("[data-key=dialled]").inner_text() == str(row["dialled"])
                assert row["completes"] == TARGET
                assert shown.locator("[data-key=rr3]").inner_text() == \
                    f"{row['rr3'] * 100:.1f}%"
                assert shown.locator("[data-key=not_eligible]").inner_text() == \
                    str(row["not_eligible"])
            fits(page, PHONE["width"])
            shoot(page, "planner-campaign-monitor-phone")
            desk = new_page(DESKTOP)
            sign_in(desk, url, "plan1")
            desk.goto(f"{url}/campaigns/{campaign_id}")
            assert desk.inner_text("#monitor tfoot [data-key=quota]") == \
                f"{3 * TARGET} / {3 * TARGET}"
            shoot(desk, "planner-campaign-monitor-desktop")


def _fill_the_half(county) -> str:
    """Self-checks in every quarter of this half (a mid-year run reads each quarter as
    day to day); the county has this month's and last month's. The half's code."""
    first = 1 if county.today.month <= 6 else 7
    for month in (first, first + 3):
        period = f"{county.today.year}-{month:02d}"
        for i, unit in enumerate(("T01", "T02", "T03", "D001")):
            items = [{"indicator": "sc_rate", "actual": 78.0 + 4 * i},
                     {"indicator": "sc_count", "actual": 9.0 - i}]
            answer = requests.post(f"{county.scoring_url}/api/v1/self-checks",
                                   headers=person_token(unit.lower(), "unit", unit),
                                   json={"unit": unit, "period": period, "items": items,
                                         "reason": "quarter filled for the test"},
                                   timeout=10)
            assert answer.status_code in (200, 201), answer.text
    return f"{county.today.year}-H{1 if first == 1 else 2}"


def test_planner_runs_and_publishes_the_mid_year_assessment(
        county_portal, county, make_person, new_page):
    make_person("plan1", "planner", name="李策划")
    half = _fill_the_half(county)
    with serving(county_portal) as url:
        page = new_page()
        sign_in(page, url, "plan1")
        page.click("nav >> text=考核计算")
        page.select_option("#kind", "mid-year")
        page.select_option("#period", half)
        page.select_option("#polls", str(county.ids["poll"]))
        page.fill("#draws", "300")
        page.fill("#seed", "2026")
        page.check("#sensitivity")
        fits(page, PHONE["width"])
        shoot(page, "planner-run-new-phone")
        page.get_by_role("button", name="开始计算").click()
        page.wait_for_load_state()
        assert "/runs/" in page.url, page.locator(".error, [role=alert]").all_inner_texts()
        run_id = int(page.url.rsplit("/", 1)[1])
        assert page.inner_text("#run-state") == "已计算"
        headers = person_token("plan1", "planner")
        api = f"{county.scoring_url}/api/v1/runs/{run_id}"
        run = requests.get(api, headers=headers, timeout=10).json()
        assert (run["kind"], run["period"], run["seed"], run["options"]["draws"]) == \
            ("mid-year", half, 2026, 300)
        assert run["options"]["sensitivity"] is True
        ranking = requests.get(f"{api}/ranking", headers=headers, timeout=10).json()
        assert ranking
        for row in ranking:
            shown = page.locator(f"table[data-group={row['peer_group']}] "
                                 f"tr[data-unit={row['unit']}]")
            assert shown.locator("td").first.inner_text() == str(row["rank"])
            assert shown.locator("td").nth(1).inner_text() == f"{row['composite']:.2f}"
        assert page.locator("#sensitivity tbody tr").count() > 0
        fits(page, PHONE["width"])
        shoot(page, "planner-run-result-phone")
        page.get_by_role("button", name=f"发布第 {run_id} 次计算").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/runs/{run_id}")
        assert page.inner_text("#run-state") == "已发布"
        assert requests.get(api, headers=headers, timeout=10).json()["state"] == "published"
        desk = new_page(DESKTOP)
        sign_in(desk, url, "plan1")
        desk.goto(f"{url}/runs/{run_id}")
        shoot(desk, "planner-run-result-desktop")


def test_every_console_page_fits_a_phone(county_portal, county, make_person, new_page):
    from tests.portal.county import INSPECTOR

    make_person("plan1", "planner", name="李策划")
    make_person(INSPECTOR, "inspector", name="检查员甲")
    plan = county.ids["plan_current"]
    headers = person_token("plan1", "planner")
    visits = requests.get(f"{county.inspection_url}/api/v1/plans/{plan}/visits",
                          headers=headers, timeout=10).json()
    submitted = next(v["id"] for v in visits if v["status"] == "submitted")
    pages = {"polls": "/polls/", "poll": f"/polls/{county.ids['poll']}",
             "campaigns": "/campaigns/", "plans": "/plans/", "plan": f"/plans/{plan}",
             "review": f"/plans/visits/{submitted}/review", "runs": "/runs",
             "run": f"/runs/{county.ids['run_published']}"}
    with serving(county_portal) as url:
        phone, desk = new_page(), new_page(DESKTOP)
        sign_in(phone, url, "plan1")
        sign_in(desk, url, "plan1")
        for name, path in pages.items():
            assert phone.goto(f"{url}{path}").status == 200, path
            fits(phone, PHONE["width"])
            assert desk.goto(f"{url}{path}").status == 200, path
            if name in ("polls", "plans", "plan", "review"):   # docs/portal.md shows these
                shoot(phone, f"planner-{name}-phone")
            if name == "plan":
                shoot(desk, f"planner-{name}-desktop")
        phone.goto(f"{url}{pages['poll']}")
        phone.select_option("#links-township", "T02")  # one township; the desktop: all
        phone.fill("#links-count", "4")
        phone.get_by_role("button", name="生成链接").click()
        phone.wait_for_load_state()
        assert phone.locator(".qr-card svg").count() == 4
        fits(phone, PHONE["width"])
        shoot(phone, "planner-poll-links-sheet-phone")
        desk.goto(f"{url}{pages['poll']}")
        desk.fill("#links-count", "4")          # for each of the poll's two townships
        desk.get_by_role("button", name="生成链接").click()
        desk.wait_for_load_state()
        assert desk.locator(".qr-card svg").count() == 8
        shoot(desk, "planner-poll-links-sheet-desktop")
