"""The scoring service's registry as survey reaches it: townships and margins over HTTP,
and a clear 503 naming scoring when it is down."""

import socket

from tests.survey.conftest import poll_payload, sample_document

DOCUMENT = sample_document()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scoring_down_is_a_503_naming_it(make_app, auth):
    survey = make_app("survey", SCORING_URL=f"http://127.0.0.1:{_closed_port()}",
                      SCORING_RETRIES=0)
    client = survey.test_client()
    planner = auth("planner")
    qid = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "WEB", "title_zh": "问卷", "title_en": "Questionnaire",
        "document": DOCUMENT}).get_json()["id"]
    response = client.post("/api/v1/polls", headers=planner, json=poll_payload(qid))
    assert response.status_code == 503
    body = response.get_json()
    assert "scoring" in body["message"] and body["errors"] == {"service": ["scoring"]}



def test_townships_are_checked_and_margins_snapshotted(client, planner, make_poll):
    unknown = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "REG", "title_zh": "问卷", "title_en": "Q", "document": DOCUMENT})
    response = client.post("/api/v1/polls", headers=planner, json=poll_payload(
        unknown.get_json()["id"], townships=[{"code": "T01"}, {"code": "T77"}]))
    assert response.status_code == 422
    assert "T77" in response.get_json()["errors"]["townships"][0]
    poll = make_poll()
    margins = client.get(f"/api/v1/polls/{poll['id']}/margins", headers=planner).get_json()
    assert {(m["township"], m["variable"], m["category"], m["count"]) for m in margins} >= {
        ("T01", "sex", "M", 5200.0), ("T02", "age_band", "60+", 1800.0)}
