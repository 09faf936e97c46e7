"""Rectification orders: states, evidence, unit scope, overdue list, on-time closure rate."""

import hashlib
import io

from openpyxl import load_workbook

from tests.inspection.inspection_support import PNG


def _finding(api):
    template = api.checklist()
    plan = api.plan(template["id"], kind="open")
    visit = api.visits(plan["id"])[0]
    api.check_in(visit["id"])
    api.attach(visit["id"], PNG)
    result = api.submit(visit["id"], findings=[
        {"severity": "major", "item_id": "safety.fire_exits", "description": "blocked exit"}])
    return result["version"]["findings"][0]["id"], visit["id"]


def _order(api, deadline="2099-07-15", role="planner", sub=None):
    finding_id, visit_id = _finding(api)
    return api.call("POST", "/orders", role=role, sub=sub, expect=201,
                    json={"finding_id": finding_id, "deadline": deadline,
                          "instructions": "clear the exit"})


def _evidence(api, order_id, unit="T01", content=PNG):
    body = {"kind": "photo", "filename": "fixed.png", "content_type": "image/png",
            "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    declared = api.call("POST", f"/orders/{order_id}/attachments", role="unit", unit=unit,
                        json=body, expect=201)
    api.call("PUT", f"/orders/{order_id}/attachments/{declared['id']}/content", role="unit",
             unit=unit, data=content)
    return declared["id"]


def test_open_submit_verify_close(api):
    order = _order(api, role="inspector", sub="insp-a")
    assert order["state"] == "open" and order["unit"] == "T01"
    errors = api.call("POST", f"/orders/{order['id']}/submit", role="unit", unit="T01",
                      json={"note": "done", "attachment_ids": [999]}, expect=422)["errors"]
    assert "attachment_ids" in errors
    evidence = _evidence(api, order["id"])
    submitted = api.call("POST", f"/orders/{order['id']}/submit", role="unit", unit="T01",
                         json={"note": "exit cleared", "attachment_ids": [evidence]})
    assert submitted["state"] == "submitted"
    closed = api.call("POST", f"/orders/{order['id']}/verify", role="inspector", sub="insp-a",
                      json={"note": "checked"})
    assert closed["state"] == "closed" and closed["on_time"] is True
    assert [e["to_state"] for e in closed["events"]] == ["open", "submitted", "closed"]


def test_reject_with_reason_reopens_then_resubmit(api):
    order = _order(api)
    evidence = _evidence(api, order["id"])
    api.call("POST", f"/orders/{order['id']}/submit", role="unit", unit="T01",
             json={"note": "done", "attachment_ids": [evidence]})
    api.call("POST", f"/orders/{order['id']}/reject", json={}, expect=422)
    reopened = api.call("POST", f"/orders/{order['id']}/reject",
                        json={"reason": "photo shows another door"})
    assert reopened["state"] == "reopened" and reopened["last_reason"] == "photo shows another door"
    second = _evidence(api, order["id"], content=PNG + b"door")
    api.call("POST", f"/orders/{order['id']}/submit", role="unit", unit="T01",
             json={"note": "the right door", "attachment_ids": [second]})
    api.call("POST", f"/orders/{order['id']}/verify", json={})
    reopened = api.call("POST", f"/orders/{order['id']}/reopen",
                        json={"reason": "blocked again at follow-up"})
    assert reopened["state"] == "reopened" and reopened["on_time"] is None


def test_unit_acts_only_for_its_own_unit(api):
    order = _order(api)
    api.call("GET", f"/orders/{order['id']}", role="unit", unit="T02", expect=404)
    api.call("POST", f"/orders/{order['id']}/submit", role="unit", unit="T02",
             json={"note": "x", "attachment_ids": [1]}, expect=404)
    assert api.call("GET", "/orders", role="unit", unit="T02") == []
    assert len(api.call("GET", "/orders", role="unit", unit="T01")) == 1
    api.call("POST", f"/orders/{order['id']}/verify", role="unit", unit="T01", json={},
             expect=403)


def test_overdue_list_and_closure_rate(api):
    late = _order(api, deadline="2026-06-10")
    on_time = _order(api, deadline="2099-01-01")
    evidence = _evidence(api, on_time["id"])
    api.call("POST", f"/orders/{on_time['id']}/submit", role="unit", unit="T01",
             json={"note": "done", "attachment_ids": [evidence]})
    api.call("POST", f"/orders/{on_time['id']}/verify", json={})
    overdue = api.call("GET", "/orders/overdue?as_of=2026-06-20")
    assert [(o["id"], o["days_overdue"]) for o in overdue] == [(late["id"], 10)]
    # the scoring service reads the list for the quarterly bulletin
    assert api.call("GET", "/orders/overdue?as_of=2026-06-20", role="service") == overdue
    rates = api.call("GET", "/orders/closure-rates?as_of=2026-06-20")
    # due: the late one (deadline passed) and the closed one; closed on time: 1 → 0.5
    assert rates == [{"unit": "T01", "orders": 2, "due": 2, "closed": 1,
                      "closed_on_time": 1, "rate": 0.5}]
    csv_text = api.call("GET", "/orders/overdue?as_of=2026-06-20&format=csv").data.decode()
    assert csv_text.splitlines()[0].lstrip("\ufeff").startswith("id,unit,visit_id")
    xlsx = api.call("GET", "/orders/overdue?as_of=2026-06-20&format=xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.cell(2, 2).value == "T01" and sheet.cell(2, 6).value == 10


def test_inspectors_act_only_on_orders_they_issued_or_follow_up(api):
    """The README's roles table: an inspector works on their own assignments. Another
    inspector neither lists, reads, verifies nor rejects the order (404, as hidden);
    the inspector of its follow-up visit may, and planner/admin always."""
    order = _order(api, role="inspector", sub="insp-a", deadline="2026-06-10")
    api.call("POST", "/orders", role="inspector", sub="insp-z", expect=404, json={
        "finding_id": order["finding_id"], "deadline": "2026-07-01", "instructions": "x"})
    evidence = _evidence(api, order["id"])
    api.call("POST", f"/orders/{order['id']}/submit", role="unit", unit="T01",
             json={"note": "done", "attachment_ids": [evidence]})
    for action, body in (("verify", {}), ("reject", {"reason": "no"})):
        api.call("POST", f"/orders/{order['id']}/{action}", role="inspector", sub="insp-z",
                 json=body, expect=404)
    api.call("GET", f"/orders/{order['id']}", role="inspector", sub="insp-z", expect=404)
    api.call("GET", f"/orders/{order['id']}/attachments/{evidence}/content", role="inspector",
             sub="insp-z", expect=404)
    assert api.call("GET", "/orders", role="inspector", sub="insp-z") == []
    assert api.call("GET", "/orders/overdue?as_of=2026-06-20", role="inspector",
                    sub="insp-z") == []
    assert [o["id"] for o in api.call("GET", "/orders", role="inspector", sub="insp-a")] == [
        order["id"]]
    assert len(api.call("GET", "/orders/overdue?as_of=2026-06-20", role="inspector",
                        sub="insp-a")) == 1

    template = api.checklist()
    follow_plan = api.call("POST", "/plans", expect=201, json={
        "name": "follow-up", "kind": "open", "template_id": template["id"],
        "window_from": "2026-07-01", "window_to": "2026-07-31", "inspectors": ["insp-z"],
        "targets": [{"unit": "T01"}]})
    follow_up = api.visits(follow_plan["id"])[0]
    api.call("POST", f"/orders/{order['id']}/follow-up", json={"visit_id": follow_up["id"]})
    rejected = api.call("POST", f"/orders/{order['id']}/reject", role="inspector", sub="insp-z",
                        json={"reason": "still blocked"})
    assert rejected["state"] == "reopened" and rejected["follow_up_visit_id"] == follow_up["id"]
    assert [o["id"] for o in api.call("GET", "/orders", role="inspector", sub="insp-z")] == [
        order["id"]]
    api.call("POST", f"/orders/{order['id']}/reopen", role="inspector", sub="insp-a",
             json={"reason": "x"}, expect=403)


def test_follow_up_visit_link_must_be_same_unit(api):
    order = _order(api)
    template = api.checklist()
    plan = api.plan(template["id"], kind="open", targets=("T01", "T02"))
    follow, other = api.visits(plan["id"])
    linked = api.call("POST", f"/orders/{order['id']}/follow-up", json={"visit_id": follow["id"]})
    assert linked["follow_up_visit_id"] == follow["id"]
    api.call("POST", f"/orders/{order['id']}/follow-up", json={"visit_id": other["id"]},
             expect=422)


def test_orders_only_from_submitted_visits(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    api.call("POST", "/orders", json={"finding_id": 12345, "deadline": "2026-07-01",
                                      "instructions": "x"}, expect=404)
    assert plan


def test_overdue_xlsx_holds_instructions_with_a_control_character(api):
    finding_id, _visit_id = _finding(api)
    api.call("POST", "/orders", json={"finding_id": finding_id, "deadline": "2026-06-10",
                                      "instructions": "clear\x0bthe exit"}, expect=201)
    xlsx = api.call("GET", "/orders/overdue?as_of=2026-06-20&format=xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.cell(2, 8).value == "clearthe exit"
