"""Visits: check-in (GPS, distance to the registered location, flags) and review."""

import uuid

from tests.inspection.inspection_support import PNG, good_answers


def test_check_in_records_gps_and_flags_distance(api):
    template = api.checklist()
    plan = api.plan(template["id"], targets=("T01", "T02", "T03"))
    v1, v2, v3 = (v["id"] for v in api.visits(plan["id"]))
    near = api.check_in(v1, lat=30.001, lon=120.0)["checkin"]
    # 0.001° of latitude is about 111 m (R = 6371.0088 km): within the 500 m default.
    assert abs(near["distance_m"] - 111.19) < 0.1
    # The plan is for June 2026; a later check-in counts for the window's last day.
    assert near["flags"] == ["outside_plan_window"] and near["reference_date"] == "2026-06-30"
    assert near["provider"] == "gps" and near["at"]
    far = api.check_in(v2, lat=30.0, lon=120.0, mock_location=True, accuracy_m=250)["checkin"]
    assert far["distance_m"] > 10_000
    assert set(far["flags"]) == {"far_from_unit", "mock_location", "low_accuracy",
                                 "outside_plan_window"}
    unknown = api.check_in(v3)["checkin"]
    assert unknown["distance_m"] is None and "location_unknown" in unknown["flags"]
    api.call(
        "POST", f"/visits/{v1}/check-in", role="inspector", sub="insp-a",
        json={"lat": 30, "lon": 120, "accuracy_m": 5, "provider": "gps", "mock_location": False},
        expect=409)


def test_location_cached_on_the_target_is_used(api):
    template = api.checklist()
    body_targets = [{"unit": "T09", "lat": 31.0, "lon": 121.0}]
    plan = api.call("POST", "/plans", expect=201, json={
        "name": "p", "kind": "open", "template_id": template["id"], "window_from": "2026-06-01",
        "window_to": "2026-06-30", "inspectors": ["insp-a"], "targets": body_targets})
    visit = api.visits(plan["id"])[0]
    assert api.check_in(visit["id"], lat=31.0, lon=121.0)["checkin"]["distance_m"] == 0


def test_visit_shows_the_registered_location_and_the_self_reports_of_its_check_in(api):
    template = api.checklist()
    plan = api.call("POST", "/plans", expect=201, json={
        "name": "p", "kind": "open", "template_id": template["id"], "window_from": "2026-06-01",
        "window_to": "2026-06-30", "self_check_period": "2026-06", "inspectors": ["insp-a"],
        "targets": [{"unit": "T01", "lat": 30.5, "lon": 120.5}, {"unit": "T03"}]})
    located, unknown = api.visits(plan["id"])
    before = api.call("GET", f"/visits/{located['id']}", role="inspector", sub="insp-a")
    assert before["registered_location"] == {"lat": 30.5, "lon": 120.5}
    assert before["self_reports"] is None
    after = api.check_in(located["id"])
    assert after["self_reports"] == {"period": "2026-06",
                                     "values": {"env.trees_area": 100.0, "sc_investment": 1500.0,
                                                "sc_complaints_closed": 97.5,
                                                "sc_safety_incidents": 0.0}}
    assert api.call("GET", f"/visits/{unknown['id']}")["registered_location"] is None


def test_check_in_with_half_a_location_on_the_visit_and_in_the_registry(api, engines):
    """A visit stored with half a location (accepted before intake refused it) and a
    registry unit with half a location: check-in works and flags the location unknown
    (every check-in of such a visit used to answer 500)."""
    from sqlalchemy import text

    template = api.checklist()
    plan = api.plan(template["id"], kind="open", targets=("T04", "T09"))
    v4, v9 = (v["id"] for v in api.visits(plan["id"]))
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE visits SET unit_lat = 31.0 WHERE id IN (:a, :b)"),
                           {"a": v4, "b": v9})
    for visit_id in (v4, v9):
        checkin = api.check_in(visit_id)["checkin"]
        assert checkin["distance_m"] is None and "location_unknown" in checkin["flags"]


def test_review_return_needs_a_comment_then_approve(api):
    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG)
    api.submit(visit_id)
    errors = api.call("POST", f"/visits/{visit_id}/review", json={"decision": "return"},
                      expect=422)["errors"]
    assert "comment" in errors
    returned = api.call("POST", f"/visits/{visit_id}/review",
                        json={"decision": "return", "comment": "measure again"})
    assert returned["status"] == "returned" and returned["review_comment"] == "measure again"
    api.call("POST", f"/visits/{visit_id}/review", json={"decision": "approve"}, expect=409)
    body = {"client_uuid": str(uuid.uuid4()), "answers": good_answers(trees=95),
            "reason": "measured again as asked"}
    api.call("POST", f"/visits/{visit_id}/amend", role="inspector", sub="insp-a", json=body)
    approved = api.call("POST", f"/visits/{visit_id}/review", json={"decision": "approve"})
    assert approved["status"] == "approved" and approved["current_version"] == 2


def test_a_scheduled_visit_is_given_to_another_inspector_until_check_in(api):
    template = api.checklist()
    plan = api.plan(template["id"], kind="open", targets=("T01", "T02"))
    first, second = (v["id"] for v in api.visits(plan["id"]))
    moved = api.call("POST", f"/visits/{first}/assign", json={"inspector": "insp-b"})
    assert moved["inspector"] == "insp-b" and moved["status"] == "scheduled"
    assert "insp-b" in api.call("GET", f"/plans/{plan['id']}")["inspectors"]
    # the new inspector works on it; the old one no longer sees it
    api.call("POST", f"/visits/{first}/check-in", role="inspector", sub="insp-a", expect=404,
             json={"lat": 30, "lon": 120, "accuracy_m": 5, "provider": "gps",
                   "mock_location": False})
    api.call("POST", f"/visits/{first}/check-in", role="inspector", sub="insp-b",
             json={"lat": 30, "lon": 120, "accuracy_m": 5, "provider": "gps",
                   "mock_location": False})
    api.call("POST", f"/visits/{first}/assign", json={"inspector": "insp-a"}, expect=409)
    api.call("POST", f"/visits/{second}/assign", json={"inspector": ""}, expect=422)
    api.call("POST", f"/visits/{second}/assign", role="inspector", sub="insp-a",
             json={"inspector": "insp-a"}, expect=403)
    assert api.call("GET", f"/visits/{second}")["inspector"] == "insp-a"
