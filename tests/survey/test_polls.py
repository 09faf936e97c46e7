"""Polls: validation, draft edits, state changes, quotas, responses export."""

import io

from tests.survey.conftest import poll_payload, sample_document


def questionnaire(client, planner):
    return client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "SAT", "title_zh": "满意度", "title_en": "Satisfaction",
        "document": sample_document()}).get_json()["id"]


def test_poll_fields_are_validated(client, planner):
    qid = questionnaire(client, planner)
    bad = client.post("/api/v1/polls", headers=planner, json=poll_payload(
        qid, modes=["web", "fax"], field_start="2026-07-01", field_end="2026-06-01"))
    assert bad.status_code == 422 and "modes" in bad.get_json()["errors"]["json"]
    bad = client.post("/api/v1/polls", headers=planner, json=poll_payload(
        qid, field_start="2026-07-01", field_end="2026-06-01",
        townships=[{"code": "T01"}, {"code": "T01"}],
        quotas=[{"township": "T02", "stratum": "1", "target_completes": 5}],
        stratum_question="detail"))
    errors = bad.get_json()["errors"]
    assert set(errors) == {"field_end", "townships", "quotas", "stratum_question"}
    unknown = client.post("/api/v1/polls", headers=planner, json=poll_payload(
        qid, townships=[{"code": "T01"}, {"code": "X9"}, {"code": "T77"}]))
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"]["townships"][0].endswith("T77, X9")


def test_draft_edit_open_close_and_conflicts(client, planner, auth):
    qid = questionnaire(client, planner)
    poll = client.post("/api/v1/polls", headers=planner, json=poll_payload(qid)).get_json()
    assert poll["status"] == "draft" and [t["code"] for t in poll["townships"]] == ["T01", "T02"]
    edited = client.put(f"/api/v1/polls/{poll['id']}", headers=planner, json=poll_payload(
        qid, townships=[{"code": "T02", "target_completes": 50}],
        quotas=[{"township": "T02", "stratum": "1", "target_completes": 20}],
        stratum_question="sex"))
    assert edited.status_code == 200
    assert edited.get_json()["townships"] == [{"code": "T02", "target_completes": 50}]
    assert client.post(f"/api/v1/polls/{poll['id']}/close", headers=planner).status_code == 409
    assert client.post(f"/api/v1/polls/{poll['id']}/open",
                       headers=auth("analyst")).status_code == 403
    opened = client.post(f"/api/v1/polls/{poll['id']}/open", headers=planner)
    assert opened.get_json()["status"] == "fielding"
    assert client.post(f"/api/v1/polls/{poll['id']}/open", headers=planner).status_code == 409
    assert client.put(f"/api/v1/polls/{poll['id']}", headers=planner,
                      json=poll_payload(qid)).status_code == 409
    assert client.get(f"/api/v1/questionnaires/{qid}", headers=planner).get_json()["frozen"]
    body = ("township,sex,age,sat,problem,years,services\n"
            "T02,1,1,4,2,5,1\nT02,2,1,4,2,5,1\nT02,1,2,5,2,7,2\n")
    imported = client.post(f"/api/v1/polls/{poll['id']}/paper-import", headers=planner,
                           data={"file": (io.BytesIO(body.encode()), "f.csv")},
                           content_type="multipart/form-data")
    assert imported.status_code == 201
    assert [i["stratum"] for i in imported.get_json()] == ["1", "2", "1"]
    quotas = client.get(f"/api/v1/polls/{poll['id']}/quotas", headers=planner).get_json()
    assert quotas == [{"township": "T02", "target_completes": 50, "completes": 3,
                       "filled": False, "strata": [{"stratum": "1", "target_completes": 20,
                                                    "completes": 2, "filled": False}]}]
    closed = client.post(f"/api/v1/polls/{poll['id']}/close", headers=planner).get_json()
    assert closed["status"] == "closed" and closed["margins_fetched_at"]
    export = client.get(f"/api/v1/polls/{poll['id']}/responses/export?format=csv",
                        headers=auth("analyst")).get_data(as_text=True).lstrip("\ufeff")
    lines = export.splitlines()
    assert lines[0].startswith("interview_id,mode,township,stratum,cluster,status,disposition")
    assert lines[0].endswith("sex,age,sat,problem,solved,detail,years,services,voice")
    assert len(lines) == 4 and ",paper,T02,1,," in lines[1]


def test_create_with_idempotency_key_is_not_duplicated(client, planner):
    qid = questionnaire(client, planner)
    headers = {**planner, "Idempotency-Key": "0b6f3f0e-poll-1"}
    first = client.post("/api/v1/polls", headers=headers, json=poll_payload(qid))
    again = client.post("/api/v1/polls", headers=headers, json=poll_payload(qid))
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(client.get("/api/v1/polls", headers=planner).get_json()) == 1
    changed = client.post("/api/v1/polls", headers=headers,
                          json=poll_payload(qid, name_en="Another"))
    assert changed.status_code == 409
    document = {"code": "K", "title_zh": "问", "title_en": "Q", "document": sample_document()}
    key = {**planner, "Idempotency-Key": "q-1"}
    ids = {client.post("/api/v1/questionnaires", headers=key, json=document).get_json()["id"]
           for _ in range(2)}
    assert len(ids) == 1


def test_timestamps_carry_their_utc_offset(client, planner, make_poll):
    poll = make_poll(open=False)
    opened = client.post(f"/api/v1/polls/{poll['id']}/open", headers=planner).get_json()
    for value in (opened["opened_at"], opened["created_at"]):
        assert value.endswith("+00:00"), value
