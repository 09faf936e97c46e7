"""The instruction pages and the unit's open items in a real headless Chromium (no
JavaScript), at phone and desktop width: nothing wider than the phone, the forms work.
``PORTAL_SCREENSHOTS=docs/screenshots`` saves the screenshots docs/instructions.md shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from shared.config import county_today
from tests.portal.portal_support import person_token
from tests.portal.test_browser import (  # noqa: F401  (browser, new_page: fixtures)
    DESKTOP,
    PHONE,
    browser,
    new_page,
    shoot,
    sign_in,
)
from tests.support import serving


def _instruction(county, title, deadline, units):
    response = requests.post(f"{county.scoring_url}/api/v1/instructions", timeout=10,
                             headers=person_token("plan1", "planner"), json={
                                 "leader": "王县长", "title": title,
                                 "document_no": f"县长批示〔2026〕{len(title)}号",
                                 "issued_on": (county_today() - timedelta(days=20)).isoformat(),
                                 "text": "请牵头单位会同协办单位限期办结，并报送办理情况。",
                                 "deadline": deadline.isoformat(),
                                 "attachments": ["https://oa.example/pishi/1.pdf"],
                                 "units": units})
    response.raise_for_status()
    return response.json()["id"]


@pytest.mark.fresh_apps
def test_instruction_pages_at_phone_and_desktop_width(county_portal, county, make_person,
                                                      new_page):  # noqa: F811
    today = county_today()
    first = _instruction(county, "城区河道清淤整治", today + timedelta(days=12),
                         [{"unit": "T01", "role": "lead"}, {"unit": "T02", "role": "assisting"}])
    _instruction(county, "农贸市场环境整治", today - timedelta(days=2),
                 [{"unit": "T01", "role": "lead"}])
    make_person("plan1", "planner", name="督办室")
    make_person("unit1", "unit", "T01", name="城关镇")
    with serving(county_portal) as url:
        unit = new_page(PHONE)
        sign_in(unit, url, "unit1")
        items = unit.locator("#open-items tbody tr")
        assert items.count() == 4  # two instructions, the order and the key-task milestone
        assert unit.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(unit, "home-unit-open-items-phone")
        unit.goto(f"{url}/instructions/{first}")
        unit.fill("#report-text", "已完成清淤 3.2 公里，拆除违建 2 处。")
        unit.fill("#report-evidence", "https://oa.example/photos/hd-1.jpg")
        unit.check("#report-completed")
        unit.click("button >> text=报送")
        unit.wait_for_load_state()
        assert "已保存" in unit.content()
        assert unit.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(unit, "instruction-unit-phone")

        planner = new_page(DESKTOP)
        sign_in(planner, url, "plan1")
        planner.goto(f"{url}/instructions/")
        assert planner.locator("#instructions tbody tr").count() == 2
        shoot(planner, "instructions-desktop")
        phone = new_page(PHONE)
        sign_in(phone, url, "plan1")
        phone.goto(f"{url}/instructions/?overdue=1")
        assert phone.locator("#instructions tbody tr").count() == 1
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(phone, "instructions-overdue-phone")
        planner.goto(f"{url}/instructions/{first}")
        planner.select_option("#judge-action", "verify")
        planner.click("button >> text=保存决定")
        planner.wait_for_load_state()
        assert planner.locator("dd.state").inner_text() == "已核实"
        shoot(planner, "instruction-planner-desktop")
