"""The visit sheet sent as a plain form (``services/portal/field_form.py`` and the
``POST /field/visits/<id>`` view): what the page does before its script has arrived, or
without JavaScript. The answers it builds follow the script's rules; a form sent twice
is stored once; a refused form is shown again with what was typed and sends nothing."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from services.portal import field_form
from tests.portal.field_county import CHECKLIST
from tests.portal.field_county import api as call
from tests.portal.portal_support import person_token, sign_in

ITEMS = {item["item_id"]: item for item in CHECKLIST["items"]}
PNG = (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)


def answer(item_id: str, fields: dict, has_photo: bool = False):
    return field_form.item_answer(ITEMS[item_id], MultiDict(fields), has_photo)


def test_each_item_type_is_answered_as_the_script_answers_it():
    assert answer("fire", {"result:fire": "fail", "note:fire": " 堵塞 "}) == (
        {"item_id": "fire", "result": "fail", "text": "堵塞"}, None)
    assert answer("sanitation", {"points:sanitation": "７.5"}) == (
        {"item_id": "sanitation", "points": 7.5}, None)          # full-width digits too
    assert answer("sanitation", {"points:sanitation": "", "na:sanitation": "na"})[0] == {
        "item_id": "sanitation", "result": "na"}
    assert answer("sc_count", {"value:sc_count": "9", "result:sc_count": ""}, True) == (
        {"item_id": "sc_count", "value": 9.0}, None)
    assert answer("trees_area", {"value:trees_area": "3", "result:trees_area": "fail"})[0] == {
        "item_id": "trees_area", "value": 3.0, "result": "fail"}
    assert answer("remarks", {"text:remarks": "无"})[0] == {"item_id": "remarks", "text": "无"}
    assert answer("remarks", {})[0] == {"item_id": "remarks", "text": None}


@pytest.mark.parametrize(("item_id", "fields", "has_photo"), [
    ("fire", {}, False),                                           # no answer chosen
    ("sanitation", {"points:sanitation": "11"}, False),            # over the maximum
    ("sanitation", {"points:sanitation": "many"}, False),          # not a number
    ("trees_area", {"value:trees_area": ""}, False),               # no measured value
    ("sc_count", {"value:sc_count": "9"}, False),                  # its photo is required
])
def test_an_incomplete_answer_is_a_problem(item_id, fields, has_photo):
    assert answer(item_id, fields, has_photo)[1] is not None


def test_a_measurement_marked_not_applicable_needs_no_photo():
    assert answer("sc_count", {"result:sc_count": "na"}) == (
        {"item_id": "sc_count", "result": "na"}, None)


def test_the_order_deadline_is_proposed_from_the_severity():
    today = date(2026, 12, 7)
    form = MultiDict({"finding_description": "通道堵塞", "finding_severity": "critical",
                      "finding_item": "fire", "order_confirm": "yes",
                      "order_instructions": "立即清理"})
    finding, order, problems = field_form.finding_and_order(form, today, "T01")
    assert problems == {}
    assert finding == {"ref": "f1", "severity": "critical", "item_id": "fire",
                       "description": "通道堵塞"}
    assert order == {"finding_ref": "f1", "deadline": (today + timedelta(days=7)).isoformat(),
                     "unit": "T01", "instructions": "立即清理"}
    minor = MultiDict({**form, "finding_severity": "minor", "order_instructions": ""})
    assert set(field_form.finding_and_order(minor, today, "T01")[2]) == {
        "order_deadline", "order_instructions"}
    no_finding = MultiDict({"order_confirm": "yes"})
    assert field_form.finding_and_order(no_finding, today, "T01") == (
        None, None, {"finding_description": [field_form._l("Describe the finding.")]})
    assert field_form.finding_and_order(MultiDict(), today, "T01") == (None, None, {})


def test_photos_are_taken_per_item_and_only_as_images():
    files = MultiDict([
        ("photo:fire", FileStorage(io.BytesIO(PNG), "a.png", content_type="image/png")),
        ("photo:sanitation", FileStorage(io.BytesIO(b"%PDF-1.7"), "b.pdf",
                                         content_type="application/pdf")),
        ("photo:remarks", FileStorage(io.BytesIO(b""), "", content_type="image/png"))])
    found, problems = field_form.photos(files, list(ITEMS))
    assert [(p.item_id, p.meta["sha256"]) for p in found] == [
        ("fire", hashlib.sha256(PNG).hexdigest())]
    assert list(problems) == ["sanitation"]


def sheet_form(client, visit_id: int) -> dict:
    """The hidden fields of the rendered sheet (its CSRF token and client_uuid)."""
    html = client.get(f"/field/visits/{visit_id}").get_data(as_text=True)
    html = html[html.index('<form id="visit-form"'):]
    html = html[:html.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def stored(county, visit_id: int) -> dict:
    return call(county.inspection_url, "GET", f"/visits/{visit_id}",
                person_token("insp1", "inspector"))


def test_a_visit_sent_as_a_form_is_checked_in_submitted_and_ordered_once(
        inspector, county, field):
    visit = field["T03"]
    hidden = sheet_form(inspector, visit)
    assert set(hidden) == {"csrf_token", "client_uuid"}
    url = f"/field/visits/{visit}"
    # A check-in without a location needs a reason; nothing is sent without one.
    refused = inspector.post(url, data={**hidden, "action": "checkin", "manual_reason": " "})
    assert refused.status_code == 422 and stored(county, visit)["checkin"] is None
    checked = inspector.post(url, data={**hidden, "action": "checkin",
                                        "manual_reason": "定位信号弱"})
    assert checked.status_code == 303 and checked.headers["Location"].endswith(url)
    checkin = stored(county, visit)["checkin"]
    assert checkin["provider"] == "manual" and "low_accuracy" in checkin["flags"]
    page = inspector.get(url).get_data(as_text=True)
    assert "定位信号弱" in page and 'name="photo:sc_count"' in page
    assert 'name="photo:sc_count" data-item="sc_count" disabled' not in page

    hidden = sheet_form(inspector, visit)
    answers = {"result:fire": "fail", "note:fire": "通道堵塞", "points:sanitation": "6",
               "value:sc_count": "9", "result:sc_count": "", "value:trees_area": "",
               "result:trees_area": "na", "text:remarks": "无", "notes": "现场检查",
               "finding_item": "fire", "finding_severity": "critical",
               "finding_description": "消防通道堵塞", "order_confirm": "yes",
               "order_instructions": "立即清理"}
    # Incomplete (sc_count's photo is required): shown again with what was typed, nothing sent.
    incomplete = inspector.post(url, data={**hidden, **answers, "action": "submit"},
                                content_type="multipart/form-data")
    assert incomplete.status_code == 422
    html = incomplete.get_data(as_text=True)
    assert 'value="9"' in html and "消防通道堵塞" in html and hidden["client_uuid"] in html
    assert stored(county, visit)["status"] == "checked_in"

    def send():
        return inspector.post(url, content_type="multipart/form-data", data={
            **hidden, **answers, "action": "submit",
            "photo:sc_count": (io.BytesIO(PNG), "trees.png", "image/png")})

    sent = send()
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/field/")
    again = send()                               # the same form sent twice (a double tap)
    assert again.status_code in (303, 409)
    visit_now = stored(county, visit)
    assert visit_now["status"] == "submitted" and len(visit_now["versions"]) == 1
    version = visit_now["versions"][0]
    by_item = {a["item_id"]: a for a in version["answers"]}
    assert by_item["fire"]["result"] == "fail" and by_item["sanitation"]["points"] == 6
    assert by_item["sc_count"]["value"] == 9 and by_item["trees_area"]["result"] == "na"
    assert "定位信号弱" in version["notes"] and "现场检查" in version["notes"]
    assert [(a["item_id"], a["sha256"]) for a in visit_now["attachments"]] == [
        ("sc_count", hashlib.sha256(PNG).hexdigest())]
    assert [(f["severity"], f["item_id"]) for f in version["findings"]] == [("critical", "fire")]
    orders = [o for o in call(county.inspection_url, "GET", "/orders",
                              person_token("insp1", "inspector")) if o["visit_id"] == visit]
    assert len(orders) == 1 and orders[0]["instructions"] == "立即清理"
    assert orders[0]["deadline"] == (date.fromisoformat(checkin["reference_date"])
                                     + timedelta(days=7)).isoformat()


def test_enter_on_a_checked_in_sheet_keeps_what_was_typed(inspector, county, field):
    visit = field["T01"]
    hidden = sheet_form(inspector, visit)
    inspector.post(f"/field/visits/{visit}", data={**hidden, "action": "checkin",
                                                  "manual_reason": "室内"})
    # Enter in a field submits with the form's first button: the manual check-in's.
    again = inspector.post(f"/field/visits/{visit}", data={
        **hidden, "action": "checkin", "value:trees_area": "4.5"})
    assert again.status_code == 200 and 'value="4.5"' in again.get_data(as_text=True)


def test_the_form_needs_its_csrf_token_and_an_inspector(county_portal, make_person, county,
                                                       field):
    make_person("insp1", "inspector")
    make_person("unit1", "unit", "T01")
    client = county_portal.test_client()
    sign_in(client, "insp1")
    url = f"/field/visits/{field['T01']}"
    assert client.post(url, data={"action": "checkin", "manual_reason": "x"}).status_code == 400
    unit = county_portal.test_client()
    sign_in(unit, "unit1")
    assert unit.post(url, data={"action": "checkin", "manual_reason": "x"}).status_code in (
        400, 403)
    assert stored(county, field["T01"])["checkin"] is None


def test_a_refused_form_keeps_its_photo(inspector, county, field):
    visit = field["T03"]
    hidden = sheet_form(inspector, visit)
    url = f"/field/visits/{visit}"
    inspector.post(url, data={**hidden, "action": "checkin", "manual_reason": "信号弱"})
    hidden = sheet_form(inspector, visit)
    # The photo comes with a form that is refused (no answer for "fire"): it is stored
    # all the same, shown on the sheet, and counts when the form comes again without it.
    refused = inspector.post(url, content_type="multipart/form-data", data={
        **hidden, "action": "submit", "points:sanitation": "6", "value:sc_count": "9",
        "result:trees_area": "na", "photo:sc_count": (io.BytesIO(PNG), "trees.png",
                                                       "image/png")})
    assert refused.status_code == 422
    assert "trees.png" in refused.get_data(as_text=True)
    digest = hashlib.sha256(PNG).hexdigest()
    assert [(a["item_id"], a["sha256"], a["status"]) for a in
            stored(county, visit)["attachments"]] == [("sc_count", digest, "received")]
    assert stored(county, visit)["status"] == "checked_in"
    sent = inspector.post(url, content_type="multipart/form-data", data={
        **hidden, "action": "submit", "result:fire": "pass", "points:sanitation": "6",
        "value:sc_count": "9", "result:trees_area": "na"})
    assert sent.status_code == 303
    visit_now = stored(county, visit)
    assert visit_now["status"] == "submitted" and len(visit_now["attachments"]) == 1
