"""Instruction pages: a planner records one and judges it, the lead unit reports and
asks for more time, another unit sees nothing of it; the unit's home page lists its open
items with their deadlines. All through the real scoring API with each person's token."""

from __future__ import annotations

import re
from datetime import timedelta

from shared.config import county_today
from tests.portal.portal_support import csrf_token, home, post_form, sign_in, tables

OPEN, ORDER = "进行中", "整改通知"


def _post(client, page: str, prefix: str, data: dict, **extra):
    """POST one of the page's prefixed forms with its CSRF token."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    body = {f"{prefix}-csrf_token": token, "form": extra.pop("form"), **extra}
    body.update({f"{prefix}-{k}": v for k, v in data.items()})
    return client.post(page, data=body)


def _client(app, make_person, username, role, unit=None):
    make_person(username, role, unit)
    client = app.test_client()
    sign_in(client, username)
    return client


def test_from_record_to_verified_through_the_pages(county_portal, county, make_person):
    planner = _client(county_portal, make_person, "plan1", "planner")
    deadline = (county_today() + timedelta(days=20)).isoformat()
    bad = post_form(planner, "/instructions/", {
        "leader": "王县长", "document_no": "批〔2026〕9号", "issued_on": county_today().isoformat(),
        "title": "河道清淤", "text": "月底前完成", "deadline": deadline, "lead_unit": "X99",
        "key": "k1"})
    assert bad.status_code == 200 and "unknown unit" in bad.get_data(as_text=True)
    made = post_form(planner, "/instructions/", {
        "leader": "王县长", "document_no": "批〔2026〕9号", "issued_on": county_today().isoformat(),
        "title": "河道清淤", "text": "月底前完成", "deadline": deadline, "lead_unit": "T01",
        "assisting": "T02", "attachments": "https://oa.example/9.pdf", "key": "k2"},
        follow_redirects=True)
    page = made.get_data(as_text=True)
    assert "批示件已登记" in page
    [row] = tables(page)["instructions"][1:]
    assert row[0].startswith("河道清淤") and row[1:] == ["王县长", "T01", deadline, OPEN]
    detail = re.search(r'href="(/instructions/\d+)"', page).group(1)

    t01 = _client(county_portal, make_person, "unit1", "unit", "T01")
    reported = _post(t01, detail, "report", {"text": "已清淤 3 公里", "completed": "y",
                                             "evidence": "https://oa.example/p1.jpg"},
                     form="report")
    assert reported.status_code == 302
    asked = _post(t01, detail, "ext", {"reason": "汛期", "requested_deadline": deadline},
                  form="extension")
    assert asked.status_code == 200 and "after" in asked.get_data(as_text=True)
    t03 = _client(county_portal, make_person, "unit3", "unit", "T03")
    assert t03.get(detail).status_code == 404
    assert "河道清淤" not in t03.get("/instructions/").get_data(as_text=True)

    judged = _post(planner, detail, "judge", {"action": "verify", "note": "核实属实"},
                   form="judgement")
    assert judged.status_code == 302
    shown = planner.get(detail).get_data(as_text=True)
    assert '<dd class="state">已核实</dd>' in shown
    trail = [r[2] for r in tables(shown)["trail"][1:]]
    assert trail == ["登记", "报送办结", "已核实"]


def test_extensions_are_asked_and_decided(county_portal, county, make_person):
    planner = _client(county_portal, make_person, "plan1", "planner")
    made = post_form(planner, "/instructions/", {
        "leader": "李副县长", "document_no": "批〔2026〕10号",
        "issued_on": county_today().isoformat(), "title": "校园安全", "text": "排查隐患",
        "deadline": (county_today() + timedelta(days=5)).isoformat(), "lead_unit": "T01",
        "key": "k3"}, follow_redirects=True)
    detail = re.search(r'href="(/instructions/\d+)"', made.get_data(as_text=True)).group(1)
    t01 = _client(county_portal, make_person, "unit1", "unit", "T01")
    later = (county_today() + timedelta(days=30)).isoformat()
    assert _post(t01, detail, "ext", {"reason": "设备未到", "requested_deadline": later},
                 form="extension").status_code == 302
    page = planner.get(detail).get_data(as_text=True)
    extension = re.search(r'name="extension" value="(\d+)"', page).group(1)
    assert _post(planner, detail, "dec", {"approve": "yes", "note": "同意"}, form="decision",
                 extension=extension).status_code == 302
    shown = planner.get(detail).get_data(as_text=True)
    assert f'<dd class="deadline">{later}' in shown and "已延期" in shown


def test_the_units_home_lists_its_open_items(county_portal, county, make_person):
    planner = _client(county_portal, make_person, "plan1", "planner")
    soon = (county_today() + timedelta(days=3)).isoformat()
    post_form(planner, "/instructions/", {
        "leader": "王县长", "document_no": "批〔2026〕11号",
        "issued_on": county_today().isoformat(),
        "title": "农贸市场整治", "text": "限期整改", "deadline": soon, "lead_unit": "T01",
        "key": "k4"})
    _client_t01, found, html = home(county_portal, make_person, "unit1", "unit", "T01")
    items = found["open-items"][1:]
    # (the test county's T01 has a key task too: its next milestone is an open item)
    assert sorted(row[1] for row in items) == ["批示件", ORDER, "节点"]
    assert any(row[0] == soon and row[2] == "农贸市场整治" for row in items)
    assert "T02" not in html


def test_a_decision_on_no_request_is_the_not_found_page(county_portal, county, make_person):
    planner = _client(county_portal, make_person, "plan1", "planner")
    made = post_form(planner, "/instructions/", {
        "leader": "王县长", "document_no": "批〔2026〕12号",
        "issued_on": county_today().isoformat(),
        "title": "标题", "text": "内容", "deadline": county_today().isoformat(),
        "lead_unit": "T01", "key": "k5"}, follow_redirects=True)
    detail = re.search(r'href="(/instructions/\d+)"', made.get_data(as_text=True)).group(1)
    for bad in ("x", "99999999999", "7"):
        answer = _post(planner, detail, "dec", {"approve": "no"}, form="decision", extension=bad)
        assert answer.status_code == 404
