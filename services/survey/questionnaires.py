"""Questionnaire documents: validation, skip logic, answer checks; and their versions.

A document is ``{"intro": {"zh-CN", "en"}?, "questions": [question, ...]}``. A question:

- ``id`` (letters, digits, ``_``), ``type`` (one of ``QUESTION_TYPES``), ``text``
  ``{"zh-CN": ..., "en": ...}``, ``required`` (default true);
- ``single`` / ``multiple``: ``options`` ``[{"code": int, "label": {...}}]``;
  ``rating``: ``scale`` ``{"min", "max", "min_label", "max_label"}``; ``yesno``: codes
  1 = yes, 2 = no; ``number``: ``range`` ``{"min", "max"}`` and ``integer`` (default
  true); ``text``: ``max_length``; ``voice`` (telephone only): ``max_seconds``;
- closed questions (single, multiple, rating, yesno) always have ``dk_code`` and
  ``refused_code`` (defaults 98 and 99); a number question may have them;
- ``satisfied``: the codes that count as satisfied for the satisfaction rate;
- ``show_if``: a condition on earlier answers; ``skip_to``: ``[{"if": condition?,
  "to": question id or "END"}]`` evaluated after the question is answered;
- ``margin``: ``{"variable": "sex", "map": {"1": "M", "2": "F"}}`` ties the answer to a
  population margin of the scoring registry for raking.

Conditions: ``{"question": id, "in" | "not_in": [codes]}``, ``{"question": id,
"eq" | "ne" | "gt" | "gte" | "lt" | "lte": number}``, ``{"answered": id}``,
``{"all": [...]}``, ``{"any": [...]}``, ``{"not": condition}``.

Answer values: a code (int) for single, yesno and rating; a list of option codes for
multiple (or the DK / refused code alone); a number; a string; for voice a JSON object
``{"recording_url", "duration"}``.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.errors import Conflict, NotFound, ValidationFailed

from .models.questionnaire import Questionnaire

QUESTION_TYPES = ("single", "multiple", "rating", "yesno", "number", "text", "voice")
CLOSED_TYPES = ("single", "multiple", "rating", "yesno")
LANGUAGES = ("zh-CN", "en")
DEFAULT_DK, DEFAULT_REFUSED = 98, 99
YES, NO = 1, 2
END = "END"
PHONE_ONLY_TYPES = ("voice",)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
_COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte")


class AnswerError(ValueError):
    """An answer that does not fit its question; ``messages`` in zh-CN and en."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.messages = {"en": en, "zh-CN": zh}


# --- document validation -------------------------------------------------------------

def _texts(value: Any, where: str, problems: dict[str, list[str]]) -> None:
    if not isinstance(value, Mapping) or any(
            not isinstance(value.get(lang), str) or not value.get(lang).strip()
            for lang in LANGUAGES):
        problems.setdefault(where, []).append("needs non-empty texts for zh-CN and en")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def substantive_codes(question: Mapping) -> list[int] | None:
    """Codes of real answers (no DK/refused) of a closed question; None for open types."""
    kind = question["type"]
    if kind in ("single", "multiple"):
        return [option["code"] for option in question["options"]]
    if kind == "rating":
        return list(range(question["scale"]["min"], question["scale"]["max"] + 1))
    if kind == "yesno":
        return [YES, NO]
    return None


def special_codes(question: Mapping) -> dict[int, str]:
    """``{code: "dk" | "refused"}`` for the question's don't-know and refused codes."""
    codes = {}
    if question.get("dk_code") is not None:
        codes[question["dk_code"]] = "dk"
    if question.get("refused_code") is not None:
        codes[question["refused_code"]] = "refused"
    return codes


def _check_type_fields(q: dict, where: str, problems: dict[str, list[str]]) -> None:
    kind = q["type"]
    if kind in ("single", "multiple"):
        options = q.get("options")
        if not isinstance(options, list) or len(options) < 2:
            problems.setdefault(f"{where}.options", []).append("needs at least two options")
            q["options"] = []
            return
        seen = set()
        for j, option in enumerate(options):
            if not isinstance(option, Mapping) or not _is_int(option.get("code")):
                problems.setdefault(f"{where}.options[{j}]", []).append("needs an integer code")
                continue
            if option["code"] in seen:
                problems.setdefault(f"{where}.options[{j}]", []).append(
                    f"duplicate code {option['code']}")
            seen.add(option["code"])
            _texts(option.get("label"), f"{where}.options[{j}].label", problems)
        q["options"] = [o for o in options if isinstance(o, Mapping) and _is_int(o.get("code"))]
    elif kind == "rating":
        scale = q.get("scale")
        if not isinstance(scale, Mapping) or not _is_int(scale.get("min")) or not _is_int(
                scale.get("max")) or not scale["min"] < scale["max"] <= scale["min"] + 10:
            problems.setdefault(f"{where}.scale", []).append(
                "needs integer min < max with at most 11 points (e.g. 1-5, 0-10)")
            q["scale"] = {"min": 1, "max": 5}
            return
        for end in ("min_label", "max_label"):
            _texts(scale.get(end), f"{where}.scale.{end}", problems)
    elif kind == "number":
        rng = q.get("range")
        if not isinstance(rng, Mapping) or not _is_number(rng.get("min")) or not _is_number(
                rng.get("max")) or rng["min"] > rng["max"]:
            problems.setdefault(f"{where}.range", []).append("needs numbers min <= max")
            q["range"] = {"min": -math.inf, "max": math.inf}
        q.setdefault("integer", True)
    elif kind == "text":
        q.setdefault("max_length", 1000)
        if not _is_int(q["max_length"]) or q["max_length"] < 1:
            problems.setdefault(f"{where}.max_length", []).append("must be a positive integer")
    elif kind == "voice":
        q.setdefault("max_seconds", 120)
        if not _is_int(q["max_seconds"]) or not 1 <= q["max_seconds"] <= 600:
            problems.setdefault(f"{where}.max_seconds", []).append("must be 1..600")


def _check_codes(q: dict, where: str, problems: dict[str, list[str]]) -> None:
    kind = q["type"]
    if kind in CLOSED_TYPES:
        q.setdefault("dk_code", DEFAULT_DK)
        q.setdefault("refused_code", DEFAULT_REFUSED)
    for key in ("dk_code", "refused_code"):
        if key in q and q[key] is not None and not _is_int(q[key]):
            problems.setdefault(f"{where}.{key}", []).append("must be an integer code")
            q[key] = None
    if kind in ("text", "voice") and (q.get("dk_code") is not None
                                      or q.get("refused_code") is not None):
        problems.setdefault(where, []).append(f"a {kind} question has no DK/refused codes")
    dk, refused = q.get("dk_code"), q.get("refused_code")
    if dk is not None and dk == refused:
        problems.setdefault(f"{where}.refused_code", []).append("must differ from dk_code")
    codes = substantive_codes(q) or []
    for key in ("dk_code", "refused_code"):
        code = q.get(key)
        if code is None:
            continue
        if code in codes:
            problems.setdefault(f"{where}.{key}", []).append(f"code {code} is also an answer code")
        if kind == "number" and q["range"]["min"] <= code <= q["range"]["max"]:
            problems.setdefault(f"{where}.{key}", []).append(
                f"code {code} lies inside the answer range")
    satisfied = q.get("satisfied")
    if satisfied is not None:
        if kind not in ("single", "rating", "yesno"):
            problems.setdefault(f"{where}.satisfied", []).append(
                "only single choice, rating and yes/no questions declare satisfied codes")
        elif (not isinstance(satisfied, list) or not satisfied
              or any(code not in codes for code in satisfied)):
            problems.setdefault(f"{where}.satisfied", []).append(
                f"must be a non-empty list of answer codes ({codes})")
    margin = q.get("margin")
    if margin is not None:
        if kind not in ("single", "yesno", "rating") or not isinstance(margin, Mapping) \
                or not isinstance(margin.get("variable"), str) or not margin["variable"]:
            problems.setdefault(f"{where}.margin", []).append(
                "needs a variable name and belongs on a single choice, yes/no or rating question")
        elif margin.get("map") is not None and (
                not isinstance(margin["map"], Mapping)
                or any(str(code) not in margin["map"] for code in codes)):
            problems.setdefault(f"{where}.margin.map", []).append(
                "must map every answer code to a margin category")


def _condition_refs(cond: Any, where: str, problems: dict[str, list[str]],
                    questions: dict[str, dict]) -> list[str]:
    """Check a condition's shape; return the question ids it reads."""
    if not isinstance(cond, Mapping) or not cond:
        problems.setdefault(where, []).append("condition must be an object")
        return []
    if "all" in cond or "any" in cond:
        parts = cond.get("all", cond.get("any"))
        if not isinstance(parts, list) or not parts:
            problems.setdefault(where, []).append("'all'/'any' needs a non-empty list")
            return []
        return [ref for i, part in enumerate(parts)
                for ref in _condition_refs(part, f"{where}[{i}]", problems, questions)]
    if "not" in cond:
        return _condition_refs(cond["not"], f"{where}.not", problems, questions)
    if "answered" in cond:
        ref = cond["answered"]
        if ref not in questions:
            problems.setdefault(where, []).append(f"unknown question {ref!r}")
            return []
        return [ref]
    ref = cond.get("question")
    if ref not in questions:
        problems.setdefault(where, []).append(f"unknown question {ref!r}")
        return []
    target = questions[ref]
    ops = [op for op in ("in", "not_in", *_COMPARISONS) if op in cond]
    if len(ops) != 1:
        problems.setdefault(where, []).append(
            "needs exactly one of in, not_in, eq, ne, gt, gte, lt, lte")
        return [ref]
    op = ops[0]
    valid = substantive_codes(target)
    allowed = None if valid is None else set(valid) | set(special_codes(target))
    if op in ("in", "not_in"):
        codes = cond[op]
        if not isinstance(codes, list) or not codes or not all(_is_number(c) for c in codes):
            problems.setdefault(where, []).append(f"'{op}' needs a non-empty list of codes")
        elif allowed is not None and not set(codes) <= allowed:
            problems.setdefault(where, []).append(
                f"codes {sorted(set(codes) - allowed)} are not codes of {ref} "
                "(the question would never be shown)")
    elif not _is_number(cond[op]):
        problems.setdefault(where, []).append(f"'{op}' needs a number")
    elif target["type"] in ("text", "voice", "multiple"):
        problems.setdefault(where, []).append(f"cannot compare a {target['type']} answer")
    elif _never_true(op, cond[op], target):
        problems.setdefault(where, []).append(
            f"can never be true for the codes of {ref} (the question would be unreachable)")
    return [ref]


def _never_true(op: str, bound: float, target: Mapping) -> bool:
    if target["type"] == "number":
        low, high = target["range"]["min"], target["range"]["max"]
    else:
        codes = substantive_codes(target) or [0]
        low, high = min(codes), max(codes)
    return {"gt": high <= bound, "gte": high < bound, "lt": low >= bound,
            "lte": low > bound, "eq": not low <= bound <= high}.get(op, False)


def _always_true(cond: Any) -> bool:
    return cond is None


def _check_flow(questions: list[dict], problems: dict[str, list[str]]) -> None:
    """Forward references, cycles and unreachable questions in show_if / skip_to."""
    index = {q["id"]: i for i, q in enumerate(questions)}
    by_id = {q["id"]: q for q in questions}
    edges: dict[int, set[int]] = {i: set() for i in range(len(questions))}
    end = len(questions)
    for i, q in enumerate(questions):
        where = f"questions.{q['id']}"
        if "show_if" in q:
            for ref in _condition_refs(q["show_if"], f"{where}.show_if", problems, by_id):
                if index.get(ref, -1) >= i:
                    problems.setdefault(f"{where}.show_if", []).append(
                        f"depends on {ref}, which is not asked before it (cycle)")
        rules = q.get("skip_to", [])
        if not isinstance(rules, list):
            problems.setdefault(f"{where}.skip_to", []).append("must be a list of rules")
            rules = []
        falls_through = True
        for j, rule in enumerate(rules):
            rwhere = f"{where}.skip_to[{j}]"
            if not isinstance(rule, Mapping) or not isinstance(rule.get("to"), str):
                problems.setdefault(rwhere, []).append("needs 'to': a question id or END")
                continue
            if "if" in rule:
                for ref in _condition_refs(rule["if"], f"{rwhere}.if", problems, by_id):
                    if index.get(ref, -1) > i:
                        problems.setdefault(f"{rwhere}.if", []).append(
                            f"depends on {ref}, which is not asked yet")
            target = end if rule["to"] == END else index.get(rule["to"])
            if target is None:
                problems.setdefault(rwhere, []).append(f"unknown question {rule['to']!r}")
                continue
            edges[i].add(target)
            if _always_true(rule.get("if")):
                falls_through = False
        if falls_through or "show_if" in q:
            edges[i].add(i + 1)
    cycle = _find_cycle(edges, end)
    if cycle:
        path = " → ".join(questions[i]["id"] for i in cycle)
        problems.setdefault("skip_to", []).append(f"skip logic has a cycle: {path}")
        return
    reached, stack = {0}, [0]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in reached:
                reached.add(nxt)
                stack.append(nxt)
    for i, q in enumerate(questions):
        if i not in reached:
            problems.setdefault(f"questions.{q['id']}", []).append(
                "unreachable: skip logic jumps over it on every path")


def _find_cycle(edges: dict[int, set[int]], end: int) -> list[int] | None:
    state: dict[int, int] = {}
    stack: list[int] = []

    def visit(node: int) -> list[int] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt == end:
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def validate_document(document: Any) -> dict:
    """Return the normalised document (defaults filled in); raise ValidationFailed listing
    every problem, keyed like ``questions.q3.options``."""
    problems: dict[str, list[str]] = {}
    if not isinstance(document, Mapping):
        raise ValidationFailed("Invalid questionnaire", {"document": ["must be an object"]})
    doc = copy.deepcopy(dict(document))
    if "intro" in doc:
        _texts(doc["intro"], "intro", problems)
    questions = doc.get("questions")
    if not isinstance(questions, list) or not questions:
        raise ValidationFailed("Invalid questionnaire",
                               {"questions": ["needs at least one question"]})
    seen: set[str] = set()
    for i, q in enumerate(questions):
        if not isinstance(q, Mapping):
            problems.setdefault(f"questions[{i}]", []).append("must be an object")
            continue
        qid = q.get("id")
        where = f"questions.{qid}" if isinstance(qid, str) and _ID.match(qid) else f"questions[{i}]"
        if not isinstance(qid, str) or not _ID.match(qid) or qid == END:
            problems.setdefault(where, []).append(
                "id must start with a letter and use letters, digits, _ (max 60)")
        elif qid in seen:
            problems.setdefault(where, []).append(f"duplicate id {qid}")
        seen.add(qid)
        if q.get("type") not in QUESTION_TYPES:
            problems.setdefault(f"{where}.type", []).append(
                f"must be one of {', '.join(QUESTION_TYPES)}")
            continue
        _texts(q.get("text"), f"{where}.text", problems)
        q = questions[i] = dict(q)
        q.setdefault("required", True)
        _check_type_fields(q, where, problems)
        _check_codes(q, where, problems)
    if not problems:
        _check_flow(questions, problems)
    if problems:
        raise ValidationFailed("Invalid questionnaire", problems)
    doc["questions"] = questions
    return doc


# --- skip logic ----------------------------------------------------------------------

def question_map(document: Mapping) -> dict[str, dict]:
    return {q["id"]: q for q in document["questions"]}


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
    if not _is_number(value):
        return False
    bound = next(cond[op] for op in _COMPARISONS if op in cond)
    op = next(op for op in _COMPARISONS if op in cond)
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


# --- answers -------------------------------------------------------------------------

def check_answer(question: Mapping, value: Any) -> Any:
    """Return the value normalised for storage; raise AnswerError when it does not fit."""
    kind = question["type"]
    specials = special_codes(question)
    if _is_int(value) and value in specials and kind != "multiple":
        return value
    if kind in ("single", "yesno", "rating"):
        codes = substantive_codes(question)
        if not _is_int(value) or value not in codes:
            raise AnswerError(f"choose one of the answers ({codes})", "请选择一个答案")
        return value
    if kind == "multiple":
        if _is_int(value) and value in specials:
            return value
        codes = substantive_codes(question)
        if not isinstance(value, list) or not value or not all(_is_int(v) for v in value):
            raise AnswerError("choose at least one answer", "请至少选择一项")
        if not set(value) <= set(codes):
            raise AnswerError(f"unknown codes {sorted(set(value) - set(codes))}",
                              f"无效的选项 {sorted(set(value) - set(codes))}")
        if len(set(value)) != len(value):
            raise AnswerError("an answer is chosen twice", "选项重复")
        return sorted(value)
    if kind == "number":
        low, high = question["range"]["min"], question["range"]["max"]
        if not _is_number(value):
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


def answer_kind(question: Mapping, value: Any) -> str | None:
    """``"dk"`` or ``"refused"`` when the value is one of those codes, else None."""
    if _is_int(value):
        return special_codes(question).get(value)
    return None


def is_satisfied(question: Mapping, value: Any) -> bool | None:
    """Whether an answer counts as satisfied; None when it is DK/refused or undeclared."""
    if "satisfied" not in question or value is None or answer_kind(question, value):
        return None
    return value in question["satisfied"]


def text_in(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get("zh-CN") or ""


# --- versions ------------------------------------------------------------------------

def create_questionnaire(session: Session, *, code: str, title_zh: str, title_en: str,
                         document: Any) -> Questionnaire:
    """A new version of ``code`` (1 for a new code, else the next number)."""
    doc = validate_document(document)
    latest = session.scalar(select(func.max(Questionnaire.version))
                            .where(Questionnaire.code == code))
    questionnaire = Questionnaire(code=code, version=(latest or 0) + 1, title_zh=title_zh,
                                  title_en=title_en, document=doc)
    session.add(questionnaire)
    session.flush()
    return questionnaire


def get_questionnaire(session: Session, questionnaire_id: int) -> Questionnaire:
    questionnaire = session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        raise NotFound(f"Questionnaire {questionnaire_id} not found")
    return questionnaire


def list_questionnaires(session: Session, code: str | None = None) -> list[Questionnaire]:
    query = select(Questionnaire).order_by(Questionnaire.code, Questionnaire.version)
    if code:
        query = query.where(Questionnaire.code == code)
    return list(session.scalars(query))


def update_questionnaire(session: Session, questionnaire_id: int, *, title_zh: str,
                         title_en: str, document: Any) -> Questionnaire:
    """Edit a version in place; Conflict when a fielding poll has frozen it."""
    questionnaire = get_questionnaire(session, questionnaire_id)
    if questionnaire.frozen:
        raise Conflict(f"Questionnaire {questionnaire.code} v{questionnaire.version} is frozen "
                       "(a poll using it is in the field); create a new version",
                       {"questionnaire": ["frozen"]})
    questionnaire.document = validate_document(document)
    questionnaire.title_zh, questionnaire.title_en = title_zh, title_en
    session.flush()
    return questionnaire


def freeze(questionnaire: Questionnaire) -> None:
    if questionnaire.frozen_at is None:
        questionnaire.frozen_at = utcnow()


# --- frozen versions, cached ---------------------------------------------------------

_FROZEN_CACHE: dict[tuple[int, Any], tuple[Mapping, dict[str, dict]]] = {}
_FROZEN_CACHE_SIZE = 128


def frozen_document(session: Session, questionnaire_id: int,
                    frozen_at: Any) -> tuple[Mapping, dict[str, dict]] | None:
    """Document and question map of a frozen version, read once per process.

    A frozen version never changes, so the busy telephone webhooks need not read and
    decode it on every keypress. The cache key includes ``frozen_at`` so that a
    version id reused by another database (tests empty their tables) is never
    confused with it. None when the version is not frozen. Callers must not mutate
    what they get.
    """
    if frozen_at is None:
        return None
    key = (questionnaire_id, frozen_at)
    cached = _FROZEN_CACHE.get(key)
    if cached is None:
        document = session.scalar(select(Questionnaire.document)
                                  .where(Questionnaire.id == questionnaire_id))
        if document is None:
            return None
        if len(_FROZEN_CACHE) >= _FROZEN_CACHE_SIZE:
            _FROZEN_CACHE.pop(next(iter(_FROZEN_CACHE)), None)
        cached = _FROZEN_CACHE[key] = (document, question_map(document))
    return cached
