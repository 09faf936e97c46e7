"""Who sees what (``visibility.py``): unannounced plans stay hidden from units (404) until
check-in and every read of them is audited; and, role by role, nothing names a visit
that is still hidden — an unannounced plan's draw (frame, seed, selection), its draw
check, other units' visits, and an unannounced follow-up linked to an order stay with
planner/admin (and each inspector's own visits) until the visits are checked in."""

import hashlib
import json

import pytest

from services.inspection.plans import stratified_draw
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


# --- disclosure, role by role ------------------------------------------------------

FRAME = [{"unit": f"ZZ-{side}{i}", "stratum": stratum}
         for side, stratum in (("A", "north"), ("B", "south")) for i in range(1, 7)]
SIZES = {"north": 2, "south": 1}
SEED = 11
WINDOW = "from=2000-01-01&to=2100-12-31"
NA_ANSWERS = [{"item_id": "safety.fire_exits", "result": "fail"},
              {"item_id": "env.sanitation", "points": 5},
              {"item_id": "env.trees_area", "result": "na"},
              {"item_id": "note", "text": "-"}]


def _check_in(api, visit_id, sub):
    api.call("POST", f"/visits/{visit_id}/check-in", role="inspector", sub=sub,
             json={"lat": 30, "lon": 120, "accuracy_m": 5, "provider": "gps",
                   "mock_location": False})


@pytest.fixture
def field(api):
    """A drawn unannounced plan of three visits (insp-a, insp-b, insp-a), the first checked
    in and submitted with an order issued by insp-a, and a hand-made unannounced plan
    whose visit to the same unit (insp-b) is linked as the order's follow-up."""
    template = api.checklist()
    plan = api.plan(template["id"], draw={"frame": FRAME, "sizes": SIZES, "seed": SEED},
                    inspectors=["insp-a", "insp-b"])
    first, second, third = api.visits(plan["id"])
    assert [v["unit"] for v in (first, second, third)] == stratified_draw(FRAME, SIZES, SEED)
    _check_in(api, first["id"], "insp-a")
    result = api.call("POST", f"/visits/{first['id']}/submit", role="inspector", sub="insp-a",
                      json={"client_uuid": "4b0e6c36-7a43-4a4e-9d0c-52a4f3f0d7a1",
                            "answers": NA_ANSWERS,
                            "findings": [{"severity": "critical", "description": "exit"}]})
    order = api.call("POST", "/orders", role="inspector", sub="insp-a", expect=201,
                     json={"finding_id": result["version"]["findings"][0]["id"],
                           "deadline": "2026-06-20", "instructions": "clear the exit"})
    follow_plan = api.call("POST", "/plans", expect=201, json={
        "name": "follow-up", "kind": "unannounced", "template_id": template["id"],
        "window_from": "2026-07-01", "window_to": "2026-07-31", "inspectors": ["insp-b"],
        "targets": [{"unit": first["unit"]}]})
    follow_up = api.visits(follow_plan["id"])[0]
    api.call("POST", f"/orders/{order['id']}/follow-up", json={"visit_id": follow_up["id"]})
    return {"plan": plan, "visits": (first, second, third), "order": order,
            "follow_plan": follow_plan, "follow_up": follow_up}


def _paths(field):
    plan, follow_plan, order = field["plan"]["id"], field["follow_plan"]["id"], field["order"]["id"]
    visit_ids = [v["id"] for v in field["visits"]] + [field["follow_up"]["id"]]
    return ["/plans", f"/plans/{plan}", f"/plans/{plan}/visits", f"/plans/{plan}/draw-check",
            f"/plans/{follow_plan}", f"/plans/{follow_plan}/visits", "/visits",
            *[f"/visits/{v}" for v in visit_ids], "/orders", f"/orders/{order}",
            "/orders/overdue?as_of=2100-01-01", "/orders/closure-rates?as_of=2100-01-01",
            f"/unit-scores?{WINDOW}", f"/visit-scores?{WINDOW}", f"/discrepancies?{WINDOW}",
            f"/discrepancy-rates?{WINDOW}", "/audit", "/audit/verify", "/checklists"]


def _sweep(api, field, **who):
    """GET every readable endpoint as one caller: {path: (status, body text)}."""
    seen = {}
    for path in _paths(field):
        response = api.client.get(f"/api/v1{path}", headers=api.auth(
            who.get("role"), who.get("unit"), who.get("sub")))
        assert response.status_code < 500, (path, response.get_data(as_text=True))
        seen[path] = (response.status_code, response.get_data(as_text=True))
    return seen


def _orders_in(seen, order_id):
    """The orders (with a follow-up field) in the caller's answers."""
    status, text = seen["/orders"]
    found = json.loads(text) if status == 200 else []
    status, text = seen[f"/orders/{order_id}"]
    return found + ([json.loads(text)] if status == 200 else [])


CALLERS = {
    "unit of the checked-in unit": {"role": "unit", "unit": "first"},
    "unit of another drawn unit": {"role": "unit", "unit": "second"},
    "analyst": {"role": "analyst"},
    "service": {"role": "service"},
    "inspector of other visits": {"role": "inspector", "sub": "insp-b"},
    "inspector not assigned": {"role": "inspector", "sub": "insp-z"},
}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_no_role_learns_a_hidden_target(api, field, caller):
    first, second, third = field["visits"]
    who = dict(CALLERS[caller])
    if "unit" in who:
        who["unit"] = {"first": first, "second": second}[who["unit"]]["unit"]
    seen = _sweep(api, field, **who)
    # What each caller may know: its own visits (inspector), its own checked-in unit.
    own = {v["unit"] for v in (first, second, third)
           if who.get("sub") and v["inspector"] == who["sub"]}
    visible = {first["unit"]} if who.get("unit") in (None, first["unit"]) else set()
    hidden = [u["unit"] for u in FRAME if u["unit"] not in own | visible]
    for path, (_status, text) in seen.items():
        for code in hidden:
            assert f'"{code}"' not in text and f"{code}," not in text, (caller, path, code)
    plan = field["plan"]["id"]
    status, text = seen[f"/plans/{plan}"]
    assert status == 404 or json.loads(text)["draw"] is None
    assert all(p["draw"] is None for p in json.loads(seen["/plans"][1]))
    assert seen[f"/plans/{plan}/draw-check"][0] in (403, 404, 409)
    orders = _orders_in(seen, field["order"]["id"])
    if who.get("sub") == "insp-b":  # the follow-up visit is insp-b's own
        assert orders and all(o["follow_up_visit_id"] for o in orders)
    else:
        assert all(o["follow_up_visit_id"] is None for o in orders), caller
    assert seen["/audit"][0] == 403


def test_draw_and_draw_check_are_disclosed_once_every_visit_is_checked_in(api, field):
    plan = field["plan"]["id"]
    first, second, third = field["visits"]
    assert api.call("GET", f"/plans/{plan}")["draw"]["selected"] == [
        first["unit"], second["unit"], third["unit"]]  # planner: always
    api.call("GET", f"/plans/{plan}/draw-check", role="analyst", expect=409)
    _check_in(api, second["id"], "insp-b")
    assert api.call("GET", f"/plans/{plan}", role="analyst")["draw"] is None
    _check_in(api, third["id"], "insp-a")
    for who in ({"role": "analyst"}, {"role": "service"},
                {"role": "unit", "unit": first["unit"]}, {"role": "inspector", "sub": "insp-b"}):
        assert api.call("GET", f"/plans/{plan}", **who)["draw"]["seed"] == SEED
        listed = [p for p in api.call("GET", "/plans", **who) if p["id"] == plan]
        assert [u["unit"] for u in listed[0]["draw"]["frame"]] == [u["unit"] for u in FRAME]
    check = api.call("GET", f"/plans/{plan}/draw-check", role="analyst")
    assert check["matches"] is True


def test_follow_up_is_named_once_it_is_checked_in(api, field):
    order, follow_up = field["order"], field["follow_up"]
    unit = field["visits"][0]["unit"]
    assert api.call("GET", f"/orders/{order['id']}", role="unit",
                    unit=unit)["follow_up_visit_id"] is None
    assert api.call("GET", f"/orders/{order['id']}")["follow_up_visit_id"] == follow_up["id"]
    _check_in(api, follow_up["id"], "insp-b")
    assert api.call("GET", f"/orders/{order['id']}", role="unit",
                    unit=unit)["follow_up_visit_id"] == follow_up["id"]


def test_linking_a_visit_the_caller_cannot_see_does_not_name_its_unit(api, field):
    """An inspector verifying with a follow-up learned the unit of any visit id from the
    error; a visit they may not see is now just unknown."""
    order, second = field["order"], field["visits"][1]
    evidence = PNG[:8] + b"\x01" * 64
    unit = field["visits"][0]["unit"]
    declared = api.call("POST", f"/orders/{order['id']}/attachments", role="unit", unit=unit,
                        expect=201, json={"kind": "photo", "filename": "fix.png",
                                          "content_type": "image/png", "size": len(evidence),
                                          "sha256": hashlib.sha256(evidence).hexdigest()})
    api.call("PUT", f"/orders/{order['id']}/attachments/{declared['id']}/content",
             role="unit", unit=unit, data=evidence)
    api.call("POST", f"/orders/{order['id']}/submit", role="unit", unit=unit,
             json={"note": "done", "attachment_ids": [declared["id"]]})
    body = api.call("POST", f"/orders/{order['id']}/verify", role="inspector", sub="insp-a",
                    json={"follow_up_visit_id": second["id"]}, expect=422)
    assert second["unit"] not in str(body) and "not found" in str(body["errors"])
