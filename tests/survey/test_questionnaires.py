"""Questionnaire versions: new versions of a code, edits until a fielding poll freezes
one, the 422 of an invalid document, and the route endpoint."""

from tests.survey.conftest import q, sample_document


def test_versions_and_freezing(client, planner, make_poll):
    poll = make_poll()
    qid = poll["questionnaire_id"]
    again = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "SAT", "title_zh": "满意度", "title_en": "Satisfaction",
        "document": sample_document()})
    assert again.get_json()["version"] == 2
    frozen = client.put(f"/api/v1/questionnaires/{qid}", headers=planner, json={
        "title_zh": "改", "title_en": "Changed", "document": sample_document()})
    assert frozen.status_code == 409
    editable = client.put(f"/api/v1/questionnaires/{again.get_json()['id']}", headers=planner,
                          json={"title_zh": "改", "title_en": "Changed",
                                "document": sample_document()})
    assert editable.status_code == 200 and editable.get_json()["title_en"] == "Changed"


def test_invalid_document_is_a_422_with_fields(client, planner):
    response = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "BAD", "title_zh": "坏", "title_en": "Bad",
        "document": {"questions": [q("a", skip_to=[{"to": "nowhere"}])]}})
    assert response.status_code == 422
    assert "questions.a.skip_to[0]" in response.get_json()["errors"]


def test_route_endpoint(client, planner, make_poll):
    poll = make_poll(open=False)
    response = client.post(f"/api/v1/questionnaires/{poll['questionnaire_id']}/route",
                           headers=planner, json={"answers": {"sex": 1, "age": 1, "sat": 3,
                                                              "problem": 2}})
    assert response.get_json()["next_question"] == "years"
