"""A rectification order's page: read from the inspection API with the person's token, so
that a unit person sees its own orders and nothing of another unit's; the unit's reply
with photos or files, and what became of each reply (rejected with the reason,
verified)."""

import hashlib
import io
import re

import requests

from tests.portal.portal_support import csrf_token, home, person_token, tables


def test_a_unit_person_reads_its_order_and_not_another_units(county_portal, county,
                                                             make_person):
    client, _found, _html = home(county_portal, make_person, "unit1", "unit", "T01")
    other_order = client.get(f"/orders/{county.ids['order_T02']}")
    assert other_order.status_code == 404
    assert "河西乡" not in other_order.get_data(as_text=True)
    assert "垃圾" not in other_order.get_data(as_text=True)
    own = client.get(f"/orders/{county.ids['order_T01']}")
    assert own.status_code == 200 and "T01：十日内完成垃圾清运" in own.get_data(as_text=True)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def reply(client, order_id, note, files):
    page = f"/orders/{order_id}"
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(f"{page}/reply", content_type="multipart/form-data", data={
        "csrf_token": token, "note": note,
        "files": [(io.BytesIO(content), name, kind) for name, kind, content in files]})


def decide(county, order_id, action, body):
    answer = requests.post(f"{county.inspection_url}/api/v1/orders/{order_id}/{action}",
                           json=body, headers=person_token("plan", "planner"), timeout=10)
    assert answer.status_code == 200, answer.text


def test_the_unit_replies_with_a_photo_is_rejected_with_a_reason_and_verified(
        county_portal, county, make_person):
    client, _found, _html = home(county_portal, make_person, "unit1", "unit", "T01")
    order = county.ids["order_T01"]
    assert "回复整改情况" in client.get(f"/orders/{order}").get_data(as_text=True)
    sent = reply(client, order, "已清运完毕", [("after.png", "image/png", PNG)])
    assert sent.status_code == 302
    page = client.get(sent.location).get_data(as_text=True)
    assert "回复已提交" in page and "已提交，待核验" in page and "回复整改情况" not in page
    link = re.search(r'href="(/orders/\d+/files/(\d+))">after.png<', page)
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Type"] == "image/png"
    stored = requests.get(f"{county.inspection_url}/api/v1/orders/{order}",
                          headers=person_token("unit1", "unit", "T01"), timeout=10).json()
    assert stored["state"] == "submitted"
    assert [(a["filename"], a["status"], a["sha256"]) for a in stored["attachments"]] == [
        ("after.png", "received", hashlib.sha256(PNG).hexdigest())]

    decide(county, order, "reject", {"reason": "照片看不清垃圾点"})
    page = client.get(f"/orders/{order}").get_data(as_text=True)
    assert "上次回复被退回：照片看不清垃圾点" in page
    replies = tables(page)["replies"][1:]
    assert len(replies) == 1 and "已退回" in replies[0][3] and "照片看不清垃圾点" in replies[0][3]
    again = reply(client, order, "补拍清晰照片", [("after.png", "image/png", PNG),
                                            ("report.pdf", "application/pdf", b"%PDF-1.4 x")])
    assert again.status_code == 302
    decide(county, order, "verify", {"note": "核验通过"})
    page = client.get(f"/orders/{order}").get_data(as_text=True)
    verdicts = [row[3] for row in tables(page)["replies"][1:]]
    assert "已退回" in verdicts[0] and "已核实" in verdicts[1]
    assert "report.pdf" in tables(page)["replies"][2][2] and "回复整改情况" not in page
    attachments = requests.get(f"{county.inspection_url}/api/v1/orders/{order}",
                               headers=person_token("unit1", "unit", "T01"),
                               timeout=10).json()["attachments"]
    assert len(attachments) == 2                     # the same photo was declared once


def test_a_reply_needs_a_note_and_a_photo_or_pdf(county_portal, county, make_person):
    client, _found, _html = home(county_portal, make_person, "unit1", "unit", "T01")
    order = county.ids["order_T01"]
    html = reply(client, order, "已整改", [("notes.txt", "text/plain", b"hello")]).get_data(
        as_text=True)
    assert re.search(r'id="files-error">notes.txt：只接受', html)
    html = reply(client, order, "", []).get_data(as_text=True)
    assert 'id="note-error"' in html and 'id="files-error"' in html
    assert requests.get(f"{county.inspection_url}/api/v1/orders/{order}",
                        headers=person_token("unit1", "unit", "T01"),
                        timeout=10).json()["state"] == "open"


def test_another_units_order_cannot_be_answered_and_the_list_shows_the_own(
        county_portal, county, make_person):
    client, _found, _html = home(county_portal, make_person, "unit1", "unit", "T01")
    other = county.ids["order_T02"]
    token = csrf_token(client.get(f"/orders/{county.ids['order_T01']}").get_data(as_text=True))
    refused = client.post(f"/orders/{other}/reply", content_type="multipart/form-data", data={
        "csrf_token": token, "note": "x", "files": [(io.BytesIO(PNG), "a.png", "image/png")]})
    assert refused.status_code == 404
    listed = tables(client.get("/orders").get_data(as_text=True))["orders"][1:]
    assert [row[0] for row in listed] == [f"#{county.ids['order_T01']}"]
    inspector = home(county_portal, make_person, "insp9", "inspector")[0]
    page = inspector.get(f"/orders/{other}")
    assert page.status_code in (200, 404) and "回复整改情况" not in page.get_data(as_text=True)
