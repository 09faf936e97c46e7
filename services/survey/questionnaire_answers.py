"""Answers to a questionnaire document (pure): which questions the answers so far lead
to (skip logic: ``route``, ``next_question``), and each answer checked against its
question (``check_answer``) or read from what a form or a spreadsheet cell holds
(``parse_answer_text``).

Answer values: a code (int) for single, yesno and rating; a list of option codes for
multiple (or the DK / refused code alone); a number; a string; for voice a JSON object
``{"recording_url", "duration"}``. ``None`` stored for a question marks an optional
question the respondent passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .questionnaire_document import (
    COMPARISONS,
    END,
    PHONE_ONLY_TYPES,
    is_int,
    is_number,
    special_codes,
    substantive_codes,
)


class AnswerError(ValueError):
    """An answer that does not fit its question; ``messages`` in zh-CN and en."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.messages = {"en": en, "zh-CN": zh}


def evaluate(cond: Mapping | None, answers: Mapping[str, Any]) -> bool:
    """Truth of a condition on the answers so far; a missing answer satisfies nothing."""
    if cond is None:
        return True
    if "all" in cond:
        return all(evaluate(part, answers) for part in cond["all"])
    if "any" in cond:
        return any(evaluate(part, answers) for part in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], answers)
    if "answered" in cond:
        return answers.get(cond["answered"]) is not None
    value = answers.get(cond["question"])
    if value is None:
        return False
    values = value if isinstance(value, list) else [value]
    if "in" in cond:
        return any(v in cond["in"] for v in values)
    if "not_in" in cond:
        return not any(v in cond["not_in"] for v in values)
    if not is_number(value):
        return False
    bound = next(cond[op] for op in COMPARISONS if op in cond)
    op = next(op for op in COMPARISONS if op in cond)
    return {"eq": value == bound, "ne": value != bound, "gt": value > bound,
            "gte": value >= bound, "lt": value < bound, "lte": value <= bound}[op]


def asked_in(question: Mapping, mode: str) -> bool:
    """Voice questions are asked on the telephone only."""
    return mode == "phone" or question["type"] not in PHONE_ONLY_TYPES


def route(document: Mapping, answers: Mapping[str, Any], mode: str = "web") -> list[str]:
    """Ids of the questions shown to a respondent with these answers, in order.

    An unanswered (or passed) question is treated as blank: its jumps do not fire.
    """
    questions = document["questions"]
    index = {q["id"]: i for i, q in enumerate(questions)}
    shown: list[str] = []
    i = 0
    while i < len(questions):
        q = questions[i]
        if not asked_in(q, mode) or not evaluate(q.get("show_if"), answers):
            i += 1
            continue
        shown.append(q["id"])
        i += 1
        if answers.get(q["id"]) is None:
            continue
        for rule in q.get("skip_to", []):
            if evaluate(rule.get("if"), answers):
                i = len(questions) if rule["to"] == END else index[rule["to"]]
                break
    return shown


def next_question(document: Mapping, answers: Mapping[str, Any],
                  mode: str = "web") -> str | None:
    """Id of the next question to ask given the answers so far, or None when done.

    An answer present with value None is an optional question the respondent passed.
    """
    for qid in route(document, answers, mode):
        if qid not in answers:
            return qid
    return None


def check_answer(question: Mapping, value: Any) -> Any:
    """Return the value normalised for storage; raise AnswerError when it does not fit."""
    kind = question["type"]
    specials = special_codes(question)
    if is_int(value) and value in specials and kind != "multiple":
        return value
    if kind in ("single", "yesno", "rating"):
        codes = substantive_codes(question)
        if not is_int(value) or value not in codes:
            raise AnswerError(f"choose one of the answers ({codes})", "请选择一个答案")
        return value
    if kind == "multiple":
        if is_int(value) and value in specials:
            return value
        codes = substantive_codes(question)
        if not isinstance(value, list) or not value or not all(is_int(v) for v in value):
            raise AnswerError("choose at least one answer", "请至少选择一项")
        if not set(value) <= set(codes):
            raise AnswerError(f"unknown codes {sorted(set(value) - set(codes))}",
                              f"无效的选项 {sorted(set(value) - set(codes))}")
        if len(set(value)) != len(value):
            raise AnswerError("an answer is chosen twice", "选项重复")
        return sorted(value)
    if kind == "number":
        low, high = question["range"]["min"], question["range"]["max"]
        if not is_number(value):
            raise AnswerError("enter a number", "请输入数字")
        if question.get("integer", True) and value != int(value):
            raise AnswerError("enter a whole number", "请输入整数")
        if not low <= value <= high:
            raise AnswerError(f"enter a number from {low:g} to {high:g}",
                              f"请输入 {low:g} 到 {high:g} 之间的数字")
        return int(value) if question.get("integer", True) else float(value)
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise AnswerError("write an answer", "请填写回答")
        if len(value) > question["max_length"]:
            raise AnswerError(f"at most {question['max_length']} characters",
                              f"最多 {question['max_length']} 个字")
        return value.strip()
    if not isinstance(value, Mapping) or not isinstance(value.get("recording_url"), str):
        raise AnswerError("a voice answer needs a recording_url", "语音回答缺少录音")
    return dict(value)


def parse_answer_text(question: Mapping, text: str | list[str]) -> Any:
    """Turn what a form or a spreadsheet cell holds into a value for ``check_answer``.

    Multiple choice cells list codes separated by ``;`` (or ``,``/space). Raises
    AnswerError when the text is not a number where one is needed.
    """
    kind = question["type"]
    if kind in ("text",):
        return text if isinstance(text, str) else " ".join(text)
    if kind == "voice":
        return {"recording_url": text.strip()} if isinstance(text, str) else None
    parts = text if isinstance(text, list) else re.split(r"[;,\s]+", str(text).strip())
    parts = [p.strip() for p in parts if p and p.strip()]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise AnswerError(f"not a code or number: {text!r}", f"不是有效的代码或数字：{text!r}") \
            from None
    numbers = [int(n) if n == int(n) else n for n in numbers]
    if kind == "multiple":
        specials = special_codes(question)
        if len(numbers) == 1 and numbers[0] in specials:
            return numbers[0]
        return numbers
    if len(numbers) != 1:
        raise AnswerError("give exactly one answer", "请只给一个答案")
    return numbers[0]
