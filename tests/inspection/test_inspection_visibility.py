"""Unannounced plans stay hidden from units (404) until check-in; every read is audited."""

from tests.inspection.inspection_support import PNG, good_answers


def test_unit_gets_404_before_check_in_and_sees_visit_after(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    visit_t01, visit_t02 = api.visits(plan["id"])

    api.call("GET", f"/plans/{plan['id']}", role="unit", unit="T01", expect=404)
    api.call("GET", f"/plans/{plan['id']}/visits", role="unit", unit="T01", expect=404)
    api.call("GET", f"/visits/{visit_t01['id']}", role="unit", unit="T01", expect=404)
    assert api.call("GET", "/plans", role="unit", unit="T01") == []
    assert api.call("GET", "/visits", role="unit", unit="T01") == []

    api.check_in(visit_t01["id"])

    seen = api.call("GET", f"/visits/{visit_t01['id']}", role="unit", unit="T01")
    assert seen["status"] == "checked_in" and seen["unit"] == "T01"
    assert api.call("GET", f"/plans/{plan['id']}", role="unit", unit="T01")["visits"] == 1
    listed = api.call("GET", f"/plans/{plan['id']}/visits", role="unit", unit="T01")
    assert [v["unit"] for v in listed] == ["T01"]
    # T02 is not checked in: still hidden from T02, and T01 never sees T02's visit.
    api.call("GET", f"/plans/{plan['id']}", role="unit", unit="T02", expect=404)
    api.call("GET", f"/visits/{visit_t02['id']}", role="unit", unit="T01", expect=404)


def test_open_plan_is_visible_to_its_units_at_once(api):
    template = api.checklist()
    plan = api.plan(template["id"], kind="open")
    assert api.call("GET", f"/plans/{plan['id']}", role="unit", unit="T02")["visits"] == 1
    api.call("GET", f"/plans/{plan['id']}", role="unit", unit="T09", expect=404)


def test_inspector_sees_only_assigned_plans_and_own_visits(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    api.call("GET", f"/plans/{plan['id']}", role="inspector", sub="insp-a")
    api.call("GET", f"/plans/{plan['id']}", role="inspector", sub="insp-z", expect=404)
    assert api.call("GET", "/visits", role="inspector", sub="insp-z") == []
    visit = api.visits(plan["id"])[0]
    api.call("POST", f"/visits/{visit['id']}/check-in", role="inspector", sub="insp-z",
             json={"lat": 30, "lon": 120, "accuracy_m": 5, "provider": "gps",
                   "mock_location": False}, expect=404)


def test_every_read_of_an_unannounced_plan_is_audited(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    open_plan = api.plan(template["id"], kind="open")
    api.call("GET", f"/plans/{plan['id']}", role="planner", sub="alice")
    api.call("GET", f"/plans/{plan['id']}/visits", role="inspector", sub="insp-a")
    api.call("GET", f"/plans/{open_plan['id']}", role="planner", sub="alice")
    visit = api.visits(plan["id"])[0]  # as a planner: audited too
    api.call("GET", f"/visits/{visit['id']}", role="inspector", sub="insp-a")
    api.call("GET", "/visits", role="inspector", sub="insp-a")
    reads = api.call("GET", "/audit?action=plan.read", role="admin")
    assert [(r["actor"], r["subject_id"], r["details"]["read"]) for r in reads] == [
        ("alice", str(plan["id"]), "plan"), ("insp-a", str(plan["id"]), "visits"),
        ("test-planner", str(plan["id"]), "visits"), ("insp-a", str(plan["id"]), "visit"),
        ("insp-a", str(plan["id"]), "visit list")]
    assert all(r["at"] for r in reads)


def test_unit_cannot_call_inspector_actions(api):
    template = api.checklist()
    plan = api.plan(template["id"], kind="open")
    visit = api.visits(plan["id"])[0]
    api.call("POST", f"/visits/{visit['id']}/submit", role="unit", unit="T01",
             json={"client_uuid": "0b6b1b8e-1111-4222-8333-944445555666",
                   "answers": good_answers()}, expect=403)
    assert PNG  # the fixture bytes are a PNG signature
