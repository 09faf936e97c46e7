"""Questionnaire documents: their format, and the check of a document (pure).

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

``validate_document`` checks all of it (skip logic included: no forward references,
no cycles, no unreachable question). How answers travel through a document and are
checked is ``questionnaire_answers``; the stored versions are ``questionnaires``.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Any

from shared.errors import Problems, ValidationFailed

QUESTION_TYPES = ("single", "multiple", "rating", "yesno", "number", "text", "voice")
CLOSED_TYPES = ("single", "multiple", "rating", "yesno")
LANGUAGES = ("zh-CN", "en")
DEFAULT_DK, DEFAULT_REFUSED = 98, 99
YES, NO = 1, 2
END = "END"
PHONE_ONLY_TYPES = ("voice",)
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")


def _texts(value: Any, where: str, problems: Problems) -> None:
    if not isinstance(value, Mapping) or any(
            not isinstance(value.get(lang), str) or not value.get(lang).strip()
            for lang in LANGUAGES):
        problems.add(where, "needs non-empty texts for zh-CN and en")


def is_int(value: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite int or float that is not a bool."""
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


def _check_type_fields(q: dict, where: str, problems: Problems) -> None:
    kind = q["type"]
    if kind in ("single", "multiple"):
        options = q.get("options")
        if not isinstance(options, list) or len(options) < 2:
            problems.add(f"{where}.options", "needs at least two options")
            q["options"] = []
            return
        seen = set()
        for j, option in enumerate(options):
            if not isinstance(option, Mapping) or not is_int(option.get("code")):
                problems.add(f"{where}.options[{j}]", "needs an integer code")
                continue
            if option["code"] in seen:
                problems.add(f"{where}.options[{j}]",
                    f"duplicate code {option['code']}")
            seen.add(option["code"])
            _texts(option.get("label"), f"{where}.options[{j}].label", problems)
        q["options"] = [o for o in options if isinstance(o, Mapping) and is_int(o.get("code"))]
    elif kind == "rating":
        scale = q.get("scale")
        if not isinstance(scale, Mapping) or not is_int(scale.get("min")) or not is_int(
                scale.get("max")) or not scale["min"] < scale["max"] <= scale["min"] + 10:
            problems.add(f"{where}.scale",
                "needs integer min < max with at most 11 points (e.g. 1-5, 0-10)")
            q["scale"] = {"min": 1, "max": 5}
            return
        for end in ("min_label", "max_label"):
            _texts(scale.get(end), f"{where}.scale.{end}", problems)
    elif kind == "number":
        rng = q.get("range")
        if not isinstance(rng, Mapping) or not is_number(rng.get("min")) or not is_number(
                rng.get("max")) or rng["min"] > rng["max"]:
            problems.add(f"{where}.range", "needs numbers min <= max")
            q["range"] = {"min": -math.inf, "max": math.inf}
        q.setdefault("integer", True)
    elif kind == "text":
        q.setdefault("max_length", 1000)
        if not is_int(q["max_length"]) or q["max_length"] < 1:
            problems.add(f"{where}.max_length", "must be a positive integer")
    elif kind == "voice":
        q.setdefault("max_seconds", 120)
        if not is_int(q["max_seconds"]) or not 1 <= q["max_seconds"] <= 600:
            problems.add(f"{where}.max_seconds", "must be 1..600")


def _check_codes(q: dict, where: str, problems: Problems) -> None:
    kind = q["type"]
    if kind in CLOSED_TYPES:
        q.setdefault("dk_code", DEFAULT_DK)
        q.setdefault("refused_code", DEFAULT_REFUSED)
    for key in ("dk_code", "refused_code"):
        if key in q and q[key] is not None and not is_int(q[key]):
            problems.add(f"{where}.{key}", "must be an integer code")
            q[key] = None
    if kind in ("text", "voice") and (q.get("dk_code") is not None
                                      or q.get("refused_code") is not None):
        problems.add(where, f"a {kind} question has no DK/refused codes")
    dk, refused = q.get("dk_code"), q.get("refused_code")
    if dk is not None and dk == refused:
        problems.add(f"{where}.refused_code", "must differ from dk_code")
    codes = substantive_codes(q) or []
    for key in ("dk_code", "refused_code"):
        code = q.get(key)
        if code is None:
            continue
        if code in codes:
            problems.add(f"{where}.{key}", f"code {code} is also an answer code")
        if kind == "number" and q["range"]["min"] <= code <= q["range"]["max"]:
            problems.add(f"{where}.{key}",
                f"code {code} lies inside the answer range")
    satisfied = q.get("satisfied")
    if satisfied is not None:
        if kind not in ("single", "rating", "yesno"):
            problems.add(f"{where}.satisfied",
                "only single choice, rating and yes/no questions declare satisfied codes")
        elif (not isinstance(satisfied, list) or not satisfied
              or any(code not in codes for code in satisfied)):
            problems.add(f"{where}.satisfied",
                f"must be a non-empty list of answer codes ({codes})")
    margin = q.get("margin")
    if margin is not None:
        if kind not in ("single", "yesno", "rating") or not isinstance(margin, Mapping) \
                or not isinstance(margin.get("variable"), str) or not margin["variable"]:
            problems.add(f"{where}.margin",
                "needs a variable name and belongs on a single choice, yes/no or rating question")
        elif margin.get("map") is not None and (
                not isinstance(margin["map"], Mapping)
                or any(str(code) not in margin["map"] for code in codes)):
            problems.add(f"{where}.margin.map",
                "must map every answer code to a margin category")


def _condition_refs(cond: Any, where: str, problems: Problems,
                    questions: dict[str, dict]) -> list[str]:
    """Check a condition's shape; return the question ids it reads."""
    if not isinstance(cond, Mapping) or not cond:
        problems.add(where, "condition must be an object")
        return []
    if "all" in cond or "any" in cond:
        parts = cond.get("all", cond.get("any"))
        if not isinstance(parts, list) or not parts:
            problems.add(where, "'all'/'any' needs a non-empty list")
            return []
        return [ref for i, part in enumerate(parts)
                for ref in _condition_refs(part, f"{where}[{i}]", problems, questions)]
    if "not" in cond:
        return _condition_refs(cond["not"], f"{where}.not", problems, questions)
    if "answered" in cond:
        ref = cond["answered"]
        if ref not in questions:
            problems.add(where, f"unknown question {ref!r}")
            return []
        return [ref]
    ref = cond.get("question")
    if ref not in questions:
        problems.add(where, f"unknown question {ref!r}")
        return []
    target = questions[ref]
    ops = [op for op in ("in", "not_in", *COMPARISONS) if op in cond]
    if len(ops) != 1:
        problems.add(where,
            "needs exactly one of in, not_in, eq, ne, gt, gte, lt, lte")
        return [ref]
    op = ops[0]
    valid = substantive_codes(target)
    allowed = None if valid is None else set(valid) | set(special_codes(target))
    if op in ("in", "not_in"):
        codes = cond[op]
        if not isinstance(codes, list) or not codes or not all(is_number(c) for c in codes):
            problems.add(where, f"'{op}' needs a non-empty list of codes")
        elif allowed is not None and not set(codes) <= allowed:
            problems.add(where,
                f"codes {sorted(set(codes) - allowed)} are not codes of {ref} "
                "(the question would never be shown)")
    elif not is_number(cond[op]):
        problems.add(where, f"'{op}' needs a number")
    elif target["type"] in ("text", "voice", "multiple"):
        problems.add(where, f"cannot compare a {target['type']} answer")
    elif _never_true(op, cond[op], target):
        problems.add(where,
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


def _check_flow(questions: list[dict], problems: Problems) -> None:
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
                    problems.add(f"{where}.show_if",
                        f"depends on {ref}, which is not asked before it (cycle)")
        rules = q.get("skip_to", [])
        if not isinstance(rules, list):
            problems.add(f"{where}.skip_to", "must be a list of rules")
            rules = []
        falls_through = True
        for j, rule in enumerate(rules):
            rwhere = f"{where}.skip_to[{j}]"
            if not isinstance(rule, Mapping) or not isinstance(rule.get("to"), str):
                problems.add(rwhere, "needs 'to': a question id or END")
                continue
            if "if" in rule:
                for ref in _condition_refs(rule["if"], f"{rwhere}.if", problems, by_id):
                    if index.get(ref, -1) > i:
                        problems.add(f"{rwhere}.if",
                            f"depends on {ref}, which is not asked yet")
            target = end if rule["to"] == END else index.get(rule["to"])
            if target is None:
                problems.add(rwhere, f"unknown question {rule['to']!r}")
                continue
            edges[i].add(target)
            if _always_true(rule.get("if")):
                falls_through = False
        if falls_through or "show_if" in q:
            edges[i].add(i + 1)
    cycle = _find_cycle(edges, end)
    if cycle:
        path = " → ".join(questions[i]["id"] for i in cycle)
        problems.add("skip_to", f"skip logic has a cycle: {path}")
        return
    reached, stack = {0}, [0]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in reached:
                reached.add(nxt)
                stack.append(nxt)
    for i, q in enumerate(questions):
        if i not in reached:
            problems.add(f"questions.{q['id']}",
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
    problems = Problems()
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
            problems.add(f"questions[{i}]", "must be an object")
            continue
        qid = q.get("id")
        where = f"questions.{qid}" if isinstance(qid, str) and _ID.match(qid) else f"questions[{i}]"
        if not isinstance(qid, str) or not _ID.match(qid) or qid == END:
            problems.add(where,
                "id must start with a letter and use letters, digits, _ (max 60)")
        elif qid in seen:
            problems.add(where, f"duplicate id {qid}")
        seen.add(qid)
        if q.get("type") not in QUESTION_TYPES:
            problems.add(f"{where}.type",
                f"must be one of {', '.join(QUESTION_TYPES)}")
            continue
        _texts(q.get("text"), f"{where}.text", problems)
        q = questions[i] = dict(q)
        q.setdefault("required", True)
        _check_type_fields(q, where, problems)
        _check_codes(q, where, problems)
    if not problems:
        _check_flow(questions, problems)
    problems.raise_if_any("Invalid questionnaire")
    doc["questions"] = questions
    return doc


def question_map(document: Mapping) -> dict[str, dict]:
    """``{question id: question}`` of a document."""
    return {q["id"]: q for q in document["questions"]}


def text_in(texts: Mapping[str, str], language: str) -> str:
    """The text in ``language``, else in zh-CN, else empty."""
    return texts.get(language) or texts.get("zh-CN") or ""
