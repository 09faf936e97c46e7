"""Questionnaire documents: types, DK/refused codes, skip logic checks, versions, freezing."""

import pytest

from services.survey.questionnaires import (
    AnswerError,
    check_answer,
    next_question,
    route,
    validate_document,
)
from shared.errors import ValidationFailed
from tests.survey.conftest import sample_document, texts


def q(id, type="single", **extra):
    base = {"id": id, "type": type, "text": texts("题" + id, "Q " + id)}
    if type in ("single", "multiple"):
        base["options"] = [{"code": 1, "label": texts("一", "one")},
                           {"code": 2, "label": texts("二", "two")}]
    base.update(extra)
    return base


def errors_of(document) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        validate_document(document)
    return caught.value.errors


def test_sample_document_is_valid_and_closed_questions_get_dk_and_refused_codes():
    doc = validate_document(sample_document())
    by_id = {x["id"]: x for x in doc["questions"]}
    for qid in ("sex", "age", "sat", "problem", "services"):
        assert by_id[qid]["dk_code"] == 98 and by_id[qid]["refused_code"] == 99
    assert by_id["years"]["dk_code"] == 998
    assert "dk_code" not in by_id["detail"]


def test_texts_need_both_languages():
    doc = {"questions": [q("a", text={"zh-CN": "只有中文"})]}
    assert "questions.a.text" in errors_of(doc)


def test_codes_may_not_collide_and_satisfied_must_be_answer_codes():
    doc = {"questions": [q("a", dk_code=1, satisfied=[7])]}
    errs = errors_of(doc)
    assert any("also an answer code" in m for m in errs["questions.a.dk_code"])
    assert "questions.a.satisfied" in errs
    doc = {"questions": [q("n", "number", range={"min": 0, "max": 120}, dk_code=98)]}
    assert "inside the answer range" in errors_of(doc)["questions.n.dk_code"][0]


def test_rating_scale_is_checked():
    doc = {"questions": [q("r", "rating", scale={"min": 1, "max": 30})]}
    assert "questions.r.scale" in errors_of(doc)


def test_show_if_on_a_later_question_is_a_cycle():
    doc = {"questions": [q("a", show_if={"question": "b", "in": [1]}), q("b")]}
    assert "cycle" in errors_of(doc)["questions.a.show_if"][0]


def test_backward_jump_is_reported_as_a_cycle():
    doc = {"questions": [q("a"), q("b", skip_to=[{"if": {"question": "b", "in": [1]},
                                                    "to": "a"}]), q("c")]}
    message = errors_of(doc)["skip_to"][0]
    assert "cycle" in message and "a → b → a" in message


def test_unconditional_jump_makes_skipped_question_unreachable():
    doc = {"questions": [q("a", skip_to=[{"to": "c"}]), q("b"), q("c")]}
    assert "unreachable" in errors_of(doc)["questions.b"][0]


def test_condition_that_can_never_hold_is_reported():
    doc = {"questions": [q("a"), q("b", show_if={"question": "a", "in": [5]})]}
    assert "never be shown" in errors_of(doc)["questions.b.show_if"][0]
    doc = {"questions": [q("n", "number", range={"min": 0, "max": 10}),
                         q("b", show_if={"question": "n", "gt": 10})]}
    assert "unreachable" in errors_of(doc)["questions.b.show_if"][0]


def test_next_question_follows_skip_logic():
    doc = validate_document(sample_document())
    assert next_question(doc, {}) == "sex"
    answers = {"sex": 1, "age": 2, "sat": 4, "problem": 2}
    assert next_question(doc, answers) == "years"           # jump over solved/detail
    answers = {"sex": 1, "age": 2, "sat": 4, "problem": 1, "solved": 1}
    assert next_question(doc, answers) == "years"           # detail only when not solved
    answers["solved"] = 2
    assert next_question(doc, answers) == "detail"
    answers.update(detail=None, years=10, services=[1, 3])
    assert next_question(doc, answers) is None              # voice is telephone only
    assert next_question(doc, answers, mode="phone") == "voice"
    assert "voice" not in route(doc, answers, "web")


def test_answers_are_checked_against_the_question():
    doc = {x["id"]: x for x in validate_document(sample_document())["questions"]}
    assert check_answer(doc["sat"], 5) == 5
    assert check_answer(doc["sat"], 98) == 98
    assert check_answer(doc["services"], [3, 1]) == [1, 3]
    assert check_answer(doc["years"], 999) == 999
    for question, bad in ((doc["sat"], 6), (doc["services"], [1, 7]), (doc["years"], 101),
                          (doc["years"], 2.5), (doc["detail"], "x" * 1001)):
        with pytest.raises(AnswerError):
            check_answer(question, bad)


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
