"""Answers to a questionnaire document: the route skip logic gives, and answer checks."""

import pytest

from services.survey.questionnaire_answers import AnswerError, check_answer, next_question, route
from services.survey.questionnaire_document import validate_document
from tests.survey.conftest import sample_document


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
