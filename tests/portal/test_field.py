"""The field pages' reads and writes through the inspection API (``services/portal/field.py``
and its views): today's work as the inspector's token reads it, and writes that a device
may send again without anything stored twice. The browser side (offline, photos, the
service worker) is in ``test_field_browser.py``."""

from __future__ import annotations

import hashlib
import uuid

from tests.portal.field_county import PLACES
from tests.portal.field_county import api as call
from tests.portal.portal_support import person_token, sign_in


def test_todays_work_lists_the_inspectors_visits_with_checklist_and_map_link(
        inspector, county, field):
    page = inspector.get("/field/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for unit in ("T01", "T02", "T03"):
        assert f'/field/visits/{field[unit]}"' in html
    lat, lon = PLACES["T01"]
    assert f"geo:{lat},{lon}" in html and "植树造林明查 · 5 项" in html
    # The unannounced plan of tomorrow is shown as the API shows it to the inspector.
    assert "明日暗访" in html and "暗访" in html
    # Geolocation and the camera are allowed here, and nowhere else.
    assert "geolocation=(self)" in page.headers["Permissions-Policy"]
    assert "geolocation=()" in inspector.get("/").headers["Permissions-Policy"]


def test_the_visit_page_has_every_item_type(inspector, field):
    html = inspector.get(f"/field/visits/{field['T03']}").get_data(as_text=True)
    for kind in ("pass_fail", "points", "measurement", "text"):
        assert f'data-type="{kind}"' in html
    assert 'name="value:sc_count"' in html and "允许误差 ±10 %" in html
    assert 'data-lat="30.29"' in html


def test_check_in_twice_answers_the_stored_check_in(inspector, field):
    fix = {"lat": 30.29, "lon": 120.13, "accuracy_m": 9, "provider": "gps",
           "mock_location": False}
    first = inspector.post(f"/field/api/visits/{field['T03']}/check-in", json=fix)
    assert first.status_code == 200 and first.get_json()["already"] is False
    # T03 reported 8 (hundred trees) this month: kept on the visit at check-in.
    assert first.get_json()["self_reports"]["values"]["sc_count"] == 8.0
    again = inspector.post(f"/field/api/visits/{field['T03']}/check-in", json=fix)
    assert again.status_code == 200 and again.get_json()["already"] is True
    assert again.get_json()["checkin"]["at"] == first.get_json()["checkin"]["at"]


def test_a_photo_sent_twice_is_stored_once_and_a_damaged_one_declares_nothing(
        inspector, county, field):
    visit = field["T03"]
    inspector.post(f"/field/api/visits/{visit}/check-in", json={
        "lat": 30.29, "lon": 120.13, "accuracy_m": 9, "provider": "gps", "mock_location": False})
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    digest = hashlib.sha256(photo).hexdigest()
    url = f"/field/api/visits/{visit}/photos?sha256={digest}&item_id=sc_count&filename=a.jpg"
    first = inspector.post(url, data=photo, content_type="image/jpeg")
    assert first.status_code == 200, first.get_json()
    again = inspector.post(url, data=photo, content_type="image/jpeg")
    assert again.get_json()["id"] == first.get_json()["id"]
    assert first.get_json()["sha256"] == digest and first.get_json()["status"] == "received"
    large = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 6000   # 1.5 MiB: over a form's limit
    large_url = (f"/field/api/visits/{visit}/photos?sha256={hashlib.sha256(large).hexdigest()}"
                 "&item_id=fire&filename=b.jpg")
    assert inspector.post(large_url, data=large, content_type="image/jpeg").status_code == 200
    damaged = inspector.post(url, data=photo[:-1], content_type="image/jpeg")
    assert damaged.status_code == 422 and "sha256" in damaged.get_json()["errors"]
    stored = call(county.inspection_url, "GET", f"/visits/{visit}",
                  person_token("insp1", "inspector"))
    assert [(a["sha256"], a["status"]) for a in stored["attachments"]] == [
        (digest, "received"), (hashlib.sha256(large).hexdigest(), "received")]


def test_a_submission_and_its_order_sent_twice_are_stored_once(inspector, county, field):
    visit = field["T03"]
    inspector.post(f"/field/api/visits/{visit}/check-in", json={
        "lat": 30.29, "lon": 120.13, "accuracy_m": 9, "provider": "gps", "mock_location": False})
    body = {"client_uuid": str(uuid.uuid4()), "notes": "ok", "answers": [
        {"item_id": "fire", "result": "pass"}, {"item_id": "sanitation", "points": 6},
        {"item_id": "sc_count", "result": "na"}, {"item_id": "trees_area", "result": "na"},
        {"item_id": "remarks", "text": "无"}],
        "findings": [{"ref": "f1", "severity": "major", "item_id": "sanitation",
                      "description": "垃圾堆放"}]}
    first = inspector.post(f"/field/api/visits/{visit}/submit", json=body)
    assert first.status_code == 200, first.get_json()
    assert inspector.post(f"/field/api/visits/{visit}/submit", json=body).get_json() == \
        first.get_json()
    order = {"finding_ref": "f1", "deadline": "2030-01-31", "instructions": "清运", "unit": "T03"}
    issued = inspector.post(f"/field/api/visits/{visit}/orders", json=order).get_json()
    again = inspector.post(f"/field/api/visits/{visit}/orders", json=order).get_json()
    assert issued["already"] is False and again["already"] is True and again["id"] == issued["id"]
    unknown = inspector.post(f"/field/api/visits/{visit}/orders",
                             json={**order, "finding_ref": "x"})
    assert unknown.status_code == 422 and "finding_ref" in unknown.get_json()["errors"]
    changed = inspector.post(f"/field/api/visits/{visit}/submit",
                             json={**body, "client_uuid": str(uuid.uuid4())})
    assert changed.status_code == 409           # submitted already: the page offers to amend
    me = person_token("insp1", "inspector")
    stored = call(county.inspection_url, "GET", f"/visits/{visit}", me)
    assert len(stored["versions"]) == 1
    orders = [o for o in call(county.inspection_url, "GET", "/orders", me)
              if o["visit_id"] == visit]
    assert len(orders) == 1 and orders[0]["deadline"] == "2030-01-31"


def test_only_inspectors_open_the_field_pages(county_portal, make_person, field):
    make_person("unit1", "unit", "T01")
    client = county_portal.test_client()
    assert client.get("/field/").status_code == 302           # not signed in: sign in first
    assert client.get("/field/api/session").status_code == 401
    sign_in(client, "unit1")
    assert client.get("/field/").status_code == 403
    assert client.get(f"/field/visits/{field['T01']}").status_code == 403
    assert client.get("/field/api/session").status_code == 403
    refused = client.post(f"/field/api/visits/{field['T01']}/check-in", json={})
    assert refused.status_code in (400, 403)


def test_a_post_without_the_csrf_token_changes_nothing(county_portal, make_person, county,
                                                      field):
    make_person("insp1", "inspector")
    client = county_portal.test_client()
    sign_in(client, "insp1")
    response = client.post(f"/field/api/visits/{field['T01']}/check-in", json={
        "lat": 30.27, "lon": 120.15, "accuracy_m": 5, "provider": "gps", "mock_location": False})
    assert response.status_code == 400 and response.get_json()["message"]
    stored = call(county.inspection_url, "GET", f"/visits/{field['T01']}",
                  person_token("insp1", "inspector"))
    assert stored["checkin"] is None
