"""The IVR: the keypad mapping of each question type and what keys mean."""

from __future__ import annotations

import pytest

from services.survey.questionnaire_answers import AnswerError
from services.survey.questionnaire_document import validate_document
from services.survey.telephony.ivr import NoAnswer, Voice, interpret, keypad, phone_problems
from tests.survey.telephony.phone_support import PHONE_DOCUMENT


def test_keypad_mapping_of_each_question_type():
    questions = {q["id"]: q for q in validate_document(PHONE_DOCUMENT)["questions"]}
    voice = Voice()
    sat = keypad(questions["sat"], voice)
    assert interpret(questions["sat"], sat, "3") == 3 and interpret(questions["sat"], sat,
                                                                      "9") == 99
    with pytest.raises(AnswerError):
        interpret(questions["sat"], sat, "5")
    with pytest.raises(NoAnswer):
        interpret(questions["sat"], sat, "")
    years = keypad(questions["years"], voice)
    assert years.finish_on_key == "#" and interpret(questions["years"], years, "35#") == 35
    with pytest.raises(AnswerError):
        interpret(questions["years"], years, "300")
    assert keypad(questions["advice"], voice).record
    assert "按1到5" in keypad(questions["score"], voice).announce
    assert phone_problems({"questions": list(questions.values())}) == {}
    wide = {**questions["sat"], "options": [{"code": i, "label": {"zh-CN": "x", "en": "x"}}
                                            for i in range(1, 9)]}
    assert list(phone_problems({"questions": [wide]})) == ["questions.sat"]
