"""The portal in a real headless Chromium (Debian's package driven by Playwright), with
the real survey, scoring and inspection apps behind it: signing in and out, a wrong
password, lock-out and its end on the portal's clock, a POST without a CSRF token, each
role's home page against its API, a unit kept out of another unit's pages, and the
language switch.

Without Chromium the tests are skipped on a developer's machine but fail in CI
(``CI=true``). With ``PORTAL_SCREENSHOTS=<folder>`` the tests also save screenshots of
the sign-in page and each role's home page at phone and desktop width (the README and
docs/portal.md show some of them, from docs/screenshots/).
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
import requests
from babel.numbers import format_percent
from playwright import sync_api

from shared.config import county_today
from tests.portal.portal_support import PASSWORD, person_token
from tests.support import chromium, serving

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")
SMALLEST = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_page(browser):
    """new_page(viewport=PHONE) -> a page in a fresh context (no cookies), JavaScript off:
    every page must work as plain HTML forms."""
    contexts = []

    def make(viewport=PHONE):
        context = browser.new_context(viewport=viewport, java_script_enabled=False)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, url, username, password=PASSWORD):
    page.goto(f"{url}/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit] >> text=登录")
    page.wait_for_load_state()


def shoot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def cells(page, selector):
    return [[" ".join(c.split()) for c in row.locator("th, td").all_inner_texts()]
            for row in page.locator(f"{selector} tbody tr").all()]


def test_sign_in_wrong_password_and_sign_out(portal_app, make_person, new_page):
    make_person("ming", "planner", name="王明")
    page = new_page()
    with serving(portal_app) as url:
        page.goto(url)
        assert page.url == f"{url}/sign-in?next=/"
        shoot(page, "sign-in-phone")
        desk = new_page(DESKTOP)
        assert desk.goto(f"{url}/sign-in").status == 200
        shoot(desk, "sign-in-desktop")
        small = new_page(SMALLEST)
        small.goto(f"{url}/sign-in")
        assert small.evaluate("document.documentElement.scrollWidth") <= SMALLEST["width"]
        sign_in(page, url, "ming", "not the password")
        assert page.locator("[role=alert]").inner_text() == "用户名或密码错误。"
        assert page.input_value("#username") == "ming" and page.input_value("#password") == ""
        sign_in(page, url, "ming")
        assert page.url == f"{url}/" and "王明" in page.inner_text("header")
        page.click("text=退出登录")
        page.wait_for_load_state()
        assert page.url == f"{url}/sign-in"
        assert "您已退出登录" in page.inner_text("main")
        page.goto(f"{url}/password")
        assert page.url.startswith(f"{url}/sign-in")


def test_lock_out_after_five_failures_and_release_after_the_window(
        portal_app, make_person, new_page, clock):
    make_person("ming", "planner")
    page = new_page()
    with serving(portal_app) as url:
        for attempt in range(1, 6):
            sign_in(page, url, "ming", f"wrong password {attempt}")
            clock.advance(seconds=30)
        alert = page.locator("[role=alert]").inner_text()
        assert alert.startswith("登录失败次数过多：该账号已锁定至")
        sign_in(page, url, "ming")                    # the right password, still locked
        assert "已锁定" in page.locator("[role=alert]").inner_text()
        clock.advance(minutes=15)
        sign_in(page, url, "ming")
        assert page.url == f"{url}/"


def test_a_post_without_the_csrf_token_is_refused(portal_app, make_person, new_page):
    make_person("ming", "planner")
    page = new_page(DESKTOP)
    with serving(portal_app) as url:
        sign_in(page, url, "ming")
        # What a page of another site could send: the browser's cookie, but no token.
        response = page.request.post(f"{url}/sign-out-everywhere", form={"x": "1"})
        assert response.status == 400 and "表单已失效" in response.text()
        page.goto(f"{url}/")
        assert page.url == f"{url}/"                 # still signed in: nothing happened


def test_each_roles_home_shows_what_its_api_returns(county_portal, county, make_person,
                                                    new_page):
    people = (("plan1", "planner", None), ("unit1", "unit", "T01"), ("insp1", "inspector", None),
              ("ana1", "analyst", None), ("lead1", "leader", None))
    for username, role, unit in people:
        make_person(username, role, unit)
    with serving(county_portal) as url:
        for username, role, unit in people:
            for viewport, size in ((SMALLEST, "small"), (PHONE, "phone"), (DESKTOP, "desktop")):
                page = new_page(viewport)
                sign_in(page, url, username)
                assert page.url == f"{url}/"
                CHECKS[role](page, county, person_token(username, role, unit))
                if size != "small":
                    shoot(page, f"home-{role}-{size}")
                # Nothing wider than the screen: no sideways scrolling of the page.
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def api(url, path, headers, **params):
    response = requests.get(f"{url}/api/v1{path}", headers=headers, params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def check_planner(page, county, me):
    polls = api(county.survey_url, "/polls", me, status="fielding")
    rows = cells(page, "#polls")
    assert len(rows) == len(polls) == 1
    rates = api(county.survey_url, f"/polls/{polls[0]['id']}/outcome-rates", me)["overall"]
    assert rows[0][3] == format_percent(rates["rates"]["RR1"], "#,##0.0%", locale="zh_CN")
    plans = [p["name"] for p in api(county.inspection_url, "/plans", me)
             if date.fromisoformat(p["window_to"]) >= county_today()]
    assert [row[0] for row in cells(page, "#plans")] == plans
    runs = api(county.scoring_url, "/runs", me, state="computed")
    assert [row[0].split()[0] for row in cells(page, "#runs")] == [f"#{r['id']}" for r in runs]


def check_unit(page, county, me):
    month = county_today().strftime("%Y-%m")
    values = api(county.scoring_url, "/self-checks", me, unit="T01", period=month)
    assert page.inner_text("#self-check .values") == str(len(values))
    assert page.inner_text("#self-check .status") == "已提交"
    orders = [o for o in api(county.inspection_url, "/orders", me) if o["state"] != "closed"]
    assert [(row[0], row[1]) for row in cells(page, "#orders")] == [
        (f"#{o['id']}", o["deadline"]) for o in orders]


def check_inspector(page, county, me):
    visits = {v["id"]: v for v in api(county.inspection_url, "/visits", me)}
    shown = [row[0] for row in cells(page, "#today")] + [row[0] for row in cells(page, "#upcoming")]
    assert sorted(shown) == sorted(v["unit"] for v in visits.values()
                                   if v["status"] in ("scheduled", "checked_in", "returned"))


def check_analyst(page, county, me):
    run = api(county.scoring_url, "/runs", me, state="published")[0]
    ranking = api(county.scoring_url, f"/runs/{run['id']}/ranking", me)
    for group in {r["peer_group"] for r in ranking}:
        rows = cells(page, f"table[data-group='{group}']")
        expected = sorted((r for r in ranking if r["peer_group"] == group),
                          key=lambda r: (r["rank"], r["unit"]))
        assert [(row[0], row[2]) for row in rows] == [
            (str(r["rank"]), f"{r['composite']:.2f}") for r in expected]


CHECKS = {"planner": check_planner, "unit": check_unit, "inspector": check_inspector,
          "analyst": check_analyst, "leader": check_analyst}


def test_a_unit_person_gets_no_page_of_another_unit(county_portal, county, make_person,
                                                    new_page):
    make_person("unit1", "unit", "T01")
    page = new_page()
    with serving(county_portal) as url:
        sign_in(page, url, "unit1")
        response = page.goto(f"{url}/units/T02/self-checks")
        assert response.status == 403 and page.inner_text("h1") == "无权访问"
        response = page.goto(f"{url}/orders/{county.ids['order_T02']}")
        assert response.status == 404 and page.inner_text("h1") == "未找到"
        assert "T02" not in page.inner_text("main")


def test_the_language_switch_changes_every_label(portal_app, make_person, new_page):
    make_person("boss", "admin")
    page = new_page(DESKTOP)
    with serving(portal_app) as url:
        sign_in(page, url, "boss")
        page.goto(f"{url}/people")
        small = new_page(SMALLEST)
        sign_in(small, url, "boss")
        for path in ("/people", "/events", "/password"):    # the admin's pages fit a phone
            small.goto(f"{url}{path}")
            assert small.evaluate("document.documentElement.scrollWidth") <= 360, path
        texts = "label, button, h1, h2, thead th, caption, nav a, .brand"
        chinese = page.locator(texts).all_inner_texts()
        assert len(page.locator("label").all()) == 5
        page.click("button[lang=en]")
        sync_api.expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url == f"{url}/people"
        english = page.locator(texts).all_inner_texts()
        assert len(chinese) == len(english)
        for zh, en in zip(chinese, english, strict=True):
            if zh == "English":
                assert en == "中文"
                continue
            assert CJK.search(zh) and not CJK.search(en), (zh, en)
        assert page.locator("html").get_attribute("lang") == "en"
        page.click("button[lang=zh-CN]")
        sync_api.expect(page.locator("label").first).to_have_text("用户名")
