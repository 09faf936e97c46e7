"""The XLSForm page in a real headless Chromium (JavaScript off, plain HTML forms), with
the real survey, scoring and inspection apps behind the portal: a planner uploads a
broken workbook and reads its problems by sheet, cell and column at phone width, then
uploads the good one and downloads it again at desktop width.

``PORTAL_SCREENSHOTS=docs/screenshots`` also saves the screenshots docs/xlsform.md shows.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.portal.portal_support import PASSWORD
from tests.shared.xlsform_support import (
    CHOICES_HEADER,
    FULL_CHOICES,
    FULL_SETTINGS,
    FULL_SURVEY,
    SURVEY_HEADER,
    sheet_rows,
    workbook,
)
from tests.support import chromium, serving

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def shoot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def cells(page, selector):
    return [[" ".join(c.split()) for c in row.locator("th, td").all_inner_texts()]
            for row in page.locator(f"{selector} tbody tr").all()]


def sign_in(page, url, username):
    page.goto(f"{url}/sign-in")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit] >> text=登录")
    page.wait_for_load_state()


def upload(page, kind, content, name="form.xlsx"):
    page.check(f"input[name=kind][value={kind}]")
    page.set_input_files("#workbook", files=[{"name": name, "mimeType": XLSX,
                                              "buffer": content}])
    page.click("button[type=submit] >> text=导入")
    page.wait_for_load_state()


def test_a_planner_reads_the_problems_then_imports_and_downloads(browser, county_portal,
                                                                 make_person, tmp_path):
    make_person("xls", "planner", name="李规划")
    broken = [SURVEY_HEADER,
              ["select_one sex", "sex", "您的性别", "Your sex", "yes"],
              ["geopoint", "where", "您的位置", "Where are you"],
              ["integer", "age", "年龄", "Age", "yes", "${sex} = 'other'", ". > 0"]]
    choices = [CHOICES_HEADER, ["sex", "1", "男", "Male"], ["sex", "2", "女", "Female"],
               ["sex", "2", "女", "Female"]]
    with serving(county_portal) as url:
        context = browser.new_context(viewport=PHONE, java_script_enabled=False,
                                      accept_downloads=True)
        page = context.new_page()
        sign_in(page, url, "xls")
        page.click("nav >> text=XLSForm")
        assert page.locator("h1").inner_text() == "XLSForm 问卷与检查表"
        upload(page, "questionnaire", workbook(broken, choices, FULL_SETTINGS))
        rows = cells(page, "#problems")
        assert [row[:3] for row in rows] == [
            ["survey", "A3", "type"], ["survey", "F4", "relevant"],
            ["survey", "G4", "constraint"], ["choices", "B4", "name"]]
        assert "geopoint is not supported" in rows[0][3]
        assert "'other' is not a choice of sex" in rows[1][3]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width} px wide at phone width"
        shoot(page, "xlsform-problems-phone")

        page.set_viewport_size(DESKTOP)
        upload(page, "questionnaire", workbook(FULL_SURVEY, FULL_CHOICES, FULL_SETTINGS))
        assert "已导入 TOWN_SAT，第 1 版。" in page.locator("main").inner_text()
        assert ["TOWN_SAT", "1", "乡镇满意度", "下载 .xlsx"] in cells(page, "#questionnaires")
        shoot(page, "xlsform-desktop")
        with page.expect_download() as info:
            page.click("#questionnaires tr:has(th:text-is('TOWN_SAT')) >> text=下载 .xlsx")
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert saved.name == "TOWN_SAT-v1.xlsx"
        assert sheet_rows(saved.read_bytes(), "settings")[1][:3] == [
            "TOWN_SAT", "乡镇满意度", "Township satisfaction"]
        page.set_viewport_size(PHONE)
        page.reload()
        shoot(page, "xlsform-phone")
        context.close()
