"""Instructions: the state machine, role checks, extensions, the overdue list, the
audit trail, and the on-time closure rate in a run's snapshot."""

from datetime import UTC, datetime

import pytest

from services.scoring.instructions import TRANSITIONS, next_state
from shared.errors import Conflict
from tests.scoring.scoring_intake_support import seed

INSTRUCTION = {"leader": "王县长", "document_no": "县长批示〔2026〕12号",
               "issued_on": "2026-06-01", "title": "河道整治", "text": "请于月底前完成河道清淤。",
               "deadline": "2026-06-20", "attachments": ["https://oa.example/pishi/12.pdf"],
               "units": [{"unit": "T01", "role": "lead"}, {"unit": "D001", "role": "assisting"}]}


def _create(client, headers, **changes):
    response = client.post("/api/v1/instructions", json={**INSTRUCTION, **changes},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def _post(client, path, headers, **body):
    return client.post(f"/api/v1/instructions{path}", json=body, headers=headers)


@pytest.fixture
def planner(scoring_client, auth):
    return seed(scoring_client, auth, scheme=False)


def test_the_state_machine_refuses_what_the_state_does_not_allow():
    assert next_state("open", "report") == "in_progress"
    assert next_state("returned", "report_completed") == "submitted"
    assert next_state("submitted", "verify") == "verified"
    assert next_state("verified", "close") == "closed"
    for state in ("open", "in_progress", "returned", "verified", "closed"):
        with pytest.raises(Conflict):
            next_state(state, "verify")
    with pytest.raises(Conflict):
        next_state("closed", "report")
    assert all(target is None or target in ("in_progress", "submitted", "verified",
                                            "returned", "closed")
               for _sources, target in TRANSITIONS.values())


def test_from_instruction_to_closure_with_a_return_on_the_way(scoring_client, auth, planner):
    created = _create(scoring_client, planner)
    assert created["state"] == "open" and created["lead_unit"] == "T01"
    ident, t01, d001 = created["id"], auth("unit", "T01"), auth("unit", "D001")
    assert _post(scoring_client, f"/{ident}/reports", d001, text="配合清运").status_code == 201
    assisting_done = _post(scoring_client, f"/{ident}/reports", d001, text="完成", completed=True)
    assert assisting_done.status_code == 403 and "completed" in assisting_done.json["errors"]
    early = _post(scoring_client, f"/{ident}/judgement", planner, action="verify")
    assert early.status_code == 409 and early.json["errors"] == {"state": ["in_progress"]}
    done = _post(scoring_client, f"/{ident}/reports", t01, text="已完成清淤", completed=True,
                 evidence=["https://oa.example/photos/1"])
    assert done.status_code == 201 and done.json["completed"] is True
    no_reason = _post(scoring_client, f"/{ident}/judgement", planner, action="return")
    assert no_reason.status_code == 422 and "note" in no_reason.json["errors"]
    back = _post(scoring_client, f"/{ident}/judgement", planner, action="return",
                 note="缺少验收照片")
    assert back.status_code == 200 and back.json["state"] == "returned"
    assert _post(scoring_client, f"/{ident}/reports", t01, text="补充照片", completed=True,
                 evidence=["https://oa.example/photos/2"]).status_code == 201
    verified = _post(scoring_client, f"/{ident}/judgement", planner, action="verify")
    assert verified.json["state"] == "verified" and verified.json["submitted_on"]
    assert _post(scoring_client, f"/{ident}/reports", t01, text="x").status_code == 409
    closed = _post(scoring_client, f"/{ident}/judgement", planner, action="close")
    assert closed.json["state"] == "closed" and closed.json["closed_on"]
    trail = scoring_client.get(f"/api/v1/instructions/{ident}", headers=t01).json["events"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in trail] == [
        ("create", None, "open"), ("report", "open", "in_progress"),
        ("report_completed", "in_progress", "submitted"), ("return", "submitted", "returned"),
        ("report_completed", "returned", "submitted"), ("verify", "submitted", "verified"),
        ("close", "verified", "closed")]
    assert trail[3]["note"] == "缺少验收照片" and trail[3]["actor"] == "test-planner"
    assert trail[1]["role"] == "unit" and trail[1]["details"]["unit"] == "D001"


def test_a_unit_never_sees_another_units_instruction(scoring_client, auth, planner):
    mine = _create(scoring_client, planner)["id"]
    other = _create(scoring_client, planner, units=[{"unit": "T02", "role": "lead"}])["id"]
    t02, analyst = auth("unit", "T02"), auth("analyst")
    assert [i["id"] for i in scoring_client.get("/api/v1/instructions", headers=t02).json] == [
        other]
    assert scoring_client.get(f"/api/v1/instructions/{mine}", headers=t02).status_code == 404
    assert _post(scoring_client, f"/{mine}/reports", t02, text="x").status_code == 404
    assert _post(scoring_client, f"/{mine}/extensions", t02, reason="x",
                 requested_deadline="2026-07-30").status_code == 404
    assert scoring_client.get("/api/v1/instructions?unit=T01", headers=t02).json == []
    assert len(scoring_client.get("/api/v1/instructions", headers=analyst).json) == 2
    assert scoring_client.post("/api/v1/instructions", json=INSTRUCTION,
                               headers=analyst).status_code == 403
    assert _post(scoring_client, f"/{mine}/judgement", auth("unit", "T01"),
                 action="verify").status_code == 403
    assert scoring_client.get("/api/v1/instructions", headers=auth("inspector")).status_code == 403


def test_bad_instructions_name_the_field(scoring_client, planner):
    two_leads = _post(scoring_client, "", planner, **{**INSTRUCTION, "units": [
        {"unit": "T01", "role": "lead"}, {"unit": "T02", "role": "lead"}]})
    assert two_leads.status_code == 422 and "units" in two_leads.json["errors"]
    unknown = _post(scoring_client, "", planner, **{**INSTRUCTION, "units": [
        {"unit": "X99", "role": "lead"}]})
    assert unknown.json["errors"]["units"] == ["unknown unit 'X99'"]
    early = _post(scoring_client, "", planner, **{**INSTRUCTION, "deadline": "2026-05-01"})
    assert early.status_code == 422 and "deadline" in early.json["errors"]


def test_extensions_and_the_overdue_list(scoring_client, auth, planner):
    ident = _create(scoring_client, planner)["id"]
    t01 = auth("unit", "T01")
    assert _post(scoring_client, f"/{ident}/extensions", auth("unit", "D001"), reason="x",
                 requested_deadline="2026-07-10").status_code == 403
    assert _post(scoring_client, f"/{ident}/extensions", t01, reason="x",
                 requested_deadline="2026-06-10").status_code == 422
    asked = _post(scoring_client, f"/{ident}/extensions", t01, reason="汛期施工受阻",
                  requested_deadline="2026-07-10")
    assert asked.status_code == 201 and asked.json["state"] == "pending"
    assert _post(scoring_client, f"/{ident}/extensions", t01, reason="again",
                 requested_deadline="2026-07-20").status_code == 409
    overdue = scoring_client.get("/api/v1/instructions?overdue=true", headers=planner).json
    assert [i["id"] for i in overdue] == [ident]  # 2026-06-20 is long past
    decided = _post(scoring_client, f"/{ident}/extensions/{asked.json['id']}", planner,
                    approve=True, note="同意")
    assert decided.json["state"] == "approved"
    body = scoring_client.get(f"/api/v1/instructions/{ident}", headers=planner).json
    assert body["instruction"]["deadline"] == "2026-07-10"
    assert body["instruction"]["original_deadline"] == "2026-06-20"
    assert body["events"][-1]["details"]["deadline"] == ["2026-06-20", "2026-07-10"]
    assert _post(scoring_client, f"/{ident}/extensions/{asked.json['id']}", planner,
                 approve=False).status_code == 409


def _clocked(make_app, day):
    return make_app("scoring", SCORING_CLOCK=lambda: datetime(*day, 4, tzinfo=UTC)).test_client()


def _report_and_verify(client, auth, planner, ident, unit):
    assert _post(client, f"/{ident}/reports", auth("unit", unit), text="done",
                 completed=True).status_code == 201
    assert _post(client, f"/{ident}/judgement", planner, action="verify").status_code == 200


def test_on_time_closure_rate_per_unit(scoring_client, make_app, auth, planner):
    on_time = _create(scoring_client, planner)["id"]  # T01 lead, D001 assisting, 06-20
    late = _create(scoring_client, planner, deadline="2026-06-10",
                   units=[{"unit": "T02", "role": "lead"}])["id"]
    _create(scoring_client, planner, deadline="2026-07-01")  # due in July
    client = _clocked(make_app, (2026, 6, 15))  # 12:00 in the county
    _report_and_verify(client, auth, planner, on_time, "T01")
    overdue = client.get("/api/v1/instructions?overdue=true", headers=planner).json
    assert [i["id"] for i in overdue] == [late]
    _report_and_verify(client, auth, planner, late, "T02")
    assert client.get("/api/v1/instructions?overdue=true", headers=planner).json == []
    metrics = client.get("/api/v1/instructions/metrics?period=2026-06", headers=planner).json
    assert [(m["unit"], m["instructions_due"], m["closed_on_time"], m["on_time_closure_rate"])
            for m in metrics] == [("D001", 1, 1, 1.0), ("T01", 1, 1, 1.0), ("T02", 1, 0, 0.0)]
    assert client.get("/api/v1/instructions/metrics?period=2026-06&unit=T02",
                      headers=auth("unit", "T01")).status_code == 403
    july = client.get("/api/v1/instructions/metrics?period=2026-07", headers=planner).json
    assert [(m["unit"], m["on_time_closure_rate"]) for m in july] == [
        ("D001", 0.0), ("T01", 0.0)]


def test_the_indicator_is_read_into_a_runs_snapshot(scoring_client, make_app, auth, planner):
    scheme = {"root": {"id": "root", "children": [
        {"id": "pishi", "weight": 0.5, "source": "instruction",
         "metric": "on_time_closure_rate", "direction": "higher", "unit_of_measure": "rate",
         "normalisation": {"method": "goalposts", "min": 0, "max": 1}},
        {"id": "env", "weight": 0.5, "source": "direct", "direction": "higher",
         "unit_of_measure": "index",
         "normalisation": {"method": "goalposts", "min": 0, "max": 100}}]}}
    assert scoring_client.post("/api/v1/schemes", headers=planner, json={
        "code": "p", "name_zh": "批示", "name_en": "Instructions"}).status_code == 201
    version = scoring_client.post("/api/v1/schemes/p/versions", headers=planner, json=scheme)
    assert version.status_code == 201, version.json
    first = _create(scoring_client, planner)["id"]  # T01 lead, D001 assisting, due 06-20
    _create(scoring_client, planner, units=[{"unit": "T02", "role": "lead"}])
    _report_and_verify(_clocked(make_app, (2026, 6, 18)), auth, planner, first, "T01")
    imported = scoring_client.post("/api/v1/direct-values", headers=planner, json={
        "source_label": "test", "values": [
            {"unit": u, "indicator": "env", "period": "2026-06", "value": v}
            for u, v in (("T01", 50), ("T02", 60), ("D001", 70))]})
    assert imported.status_code < 300, imported.json
    run = scoring_client.post("/api/v1/runs", headers=planner, json={
        "scheme_version_id": version.json["id"], "period": "2026-06", "kind": "monthly",
        "seed": 1, "draws": 50})
    assert run.status_code == 201, run.json
    inputs = scoring_client.get(f"/api/v1/runs/{run.json['id']}/inputs", headers=planner).json
    rows = [r for seg in inputs["segments"] for r in seg["rows"] if r[1] == "pishi"]
    assert rows == [["D001", "pishi", "", 1.0, None], ["T01", "pishi", "", 1.0, None],
                    ["T02", "pishi", "", 0.0, None]]
