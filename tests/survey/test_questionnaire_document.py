"""Questionnaire documents: types, texts, DK/refused codes, skip logic checks."""

import pytest

from services.survey.questionnaire_document import validate_document
from shared.errors import ValidationFailed
from tests.survey.conftest import q, sample_document


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
