"""XLSForm ``relevant`` expressions ⇄ questionnaire conditions (pure).

The subset Kaoping can represent (``questionnaire_document``'s conditions):

- ``${q} = 'a'`` / ``${q} != 'a'`` on a select_one: ``{"question", "in" | "not_in":
  [code]}`` (``a`` is a choice name of the question's list);
- ``selected(${q}, 'a')``: ``{"question", "in": [code]}`` (select_one or select_multiple);
- ``${n} = 3``, ``!=``, ``>``, ``>=``, ``<``, ``<=`` on an integer or decimal: ``eq`` …
  ``lte``;
- ``${q} != ''``: ``{"answered": q}``; ``${q} = ''``: ``{"not": {"answered": q}}``;
- ``a and b``, ``a or b`` (``all`` / ``any``), ``not(a)``, parentheses.

Anything else (functions, arithmetic, ``.``, other questions' paths) is refused with
:class:`ExpressionError`. :func:`expression` writes a condition back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TOKEN = re.compile(r"""\s*(?:
    (?P<ref>\$\{(?P<name>[^}]*)\})
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>!=|>=|<=|=|>|<)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_-]*)
)""", re.VERBOSE)
OPS = {"=": "eq", "!=": "ne", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
SYMBOLS = {op: symbol for symbol, op in OPS.items()}
# Questions answered with one code (select_one in the workbook).
SINGLE_VALUED = ("single", "rating", "yesno")


class ExpressionError(ValueError):
    """An expression outside the subset, or one about an unknown question or choice."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:].strip()[:30]!r} "
                                  f"(at character {position + 1})")
        kind = next(k for k in ("ref", "string", "number", "op", "punct", "word")
                    if match.group(k) is not None)
        value = match.group("name") if kind == "ref" else match.group(kind)
        found.append((kind, value))
        position = match.end()
    return found


class _Parser:
    """Recursive descent over the tokens; ``questions`` is ``{id: question}`` of the
    questions asked before (type and ``names``: ``{choice name: code}``)."""

    def __init__(self, text: str, questions: Mapping[str, Mapping[str, Any]]):
        self.tokens = _tokens(text)
        self.at = 0
        self.questions = questions

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            wanted = value or kind
            got = "the end" if token is None else repr(token[1])
            raise ExpressionError(f"expected {wanted} but found {got}")
        self.at += 1
        return token[1]

    def parse(self) -> dict:
        condition = self.either()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")
        return condition

    def either(self) -> dict:
        parts = [self.both()]
        while self.peek() == ("word", "or"):
            self.at += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else {"any": _flat(parts, "any")}

    def both(self) -> dict:
        parts = [self.unary()]
        while self.peek() == ("word", "and"):
            self.at += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else {"all": _flat(parts, "all")}

    def unary(self) -> dict:
        token = self.peek()
        if token == ("word", "not"):
            self.at += 1
            self.take("punct", "(")
            inner = self.either()
            self.take("punct", ")")
            return {"not": inner}
        if token == ("punct", "("):
            self.at += 1
            inner = self.either()
            self.take("punct", ")")
            return inner
        if token == ("word", "selected"):
            self.at += 1
            self.take("punct", "(")
            question = self.question(self.take("ref"))
            self.take("punct", ",")
            literal = self.literal()
            self.take("punct", ")")
            if question["type"] not in (*SINGLE_VALUED, "multiple"):
                raise ExpressionError(f"selected() needs a select question, "
                                      f"not {question['id']}")
            return {"question": question["id"], "in": [self.code(question, literal)]}
        if token is not None and token[0] == "ref":
            self.at += 1
            question = self.question(token[1])
            op = OPS[self.take("op")]
            return self.comparison(question, op, self.literal())
        shown = "the end" if token is None else repr(token[1])
        raise ExpressionError(f"expected ${{question}}, selected(), not() or ( but found "
                              f"{shown}")

    def question(self, name: str) -> Mapping[str, Any]:
        if name not in self.questions:
            raise ExpressionError(f"${{{name}}} is not a question asked before this one")
        return self.questions[name]

    def literal(self) -> tuple[str, str]:
        token = self.peek()
        if token is None or token[0] not in ("string", "number"):
            raise ExpressionError("expected a 'text' or a number to compare with but found "
                                  + ("the end" if token is None else repr(token[1])))
        self.at += 1
        return token[0], token[1][1:-1] if token[0] == "string" else token[1]

    def code(self, question: Mapping[str, Any], literal: tuple[str, str]) -> int:
        names = question["names"]
        if literal[1] not in names:
            raise ExpressionError(f"{literal[1]!r} is not a choice of {question['id']} "
                                  f"({', '.join(names)})")
        return names[literal[1]]

    def comparison(self, question: Mapping[str, Any], op: str,
                   literal: tuple[str, str]) -> dict:
        qid, kind = question["id"], question["type"]
        if literal == ("string", ""):
            if op not in ("eq", "ne"):
                raise ExpressionError("only = '' and != '' compare with the empty text")
            answered = {"answered": qid}
            return answered if op == "ne" else {"not": answered}
        if kind in SINGLE_VALUED:
            if op not in ("eq", "ne"):
                raise ExpressionError(f"{qid} is a select_one: compare it with = or !=")
            return {"question": qid, "in" if op == "eq" else "not_in":
                    [self.code(question, literal)]}
        if kind == "multiple":
            raise ExpressionError(f"{qid} is a select_multiple: use selected(${{{qid}}}, 'a')")
        if kind != "number":
            raise ExpressionError(f"a {kind} answer can only be compared with ''")
        try:
            bound = float(literal[1])
        except ValueError:
            raise ExpressionError(f"{qid} is a number: compare it with a number") from None
        return {"question": qid, op: int(bound) if bound.is_integer() else bound}


def _flat(parts: list[dict], key: str) -> list[dict]:
    flat = []
    for part in parts:
        flat.extend(part[key] if key in part and len(part) == 1 else [part])
    return flat


def condition(text: str, questions: Mapping[str, Mapping[str, Any]]) -> dict:
    """The condition of a ``relevant`` expression; ExpressionError outside the subset.

    ``questions``: ``{id: {"id", "type", "names": {choice name: code}}}`` of the
    questions before the one the expression belongs to."""
    return _Parser(text, questions).parse()


def _quoted(value: Any) -> str:
    return f"'{value}'"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def expression(cond: Mapping[str, Any], types: Mapping[str, str], nested: bool = False) -> str:
    """The ``relevant`` expression of a condition; ``types`` ``{id: question type}``.
    Choice names are the option codes. ValueError for what has no expression."""
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        text = f" {'and' if key == 'all' else 'or'} ".join(
            expression(part, types, nested=True) for part in cond[key])
        return f"({text})" if nested else text
    if "not" in cond:
        inner = cond["not"]
        if set(inner) == {"answered"}:
            return f"${{{inner['answered']}}} = ''"
        return f"not({expression(inner, types)})"
    if "answered" in cond:
        return f"${{{cond['answered']}}} != ''"
    qid = cond["question"]
    ref = f"${{{qid}}}"
    for op in ("in", "not_in"):
        if op in cond:
            if types[qid] == "multiple":
                parts = [f"selected({ref}, {_quoted(code)})" for code in cond[op]]
                text = " or ".join(parts)
                if op == "not_in":
                    return f"not({text})"
            elif types[qid] == "number":
                symbol = "=" if op == "in" else "!="
                parts = [f"{ref} {symbol} {_number(code)}" for code in cond[op]]
                text = (" or " if op == "in" else " and ").join(parts)
            else:
                symbol = "=" if op == "in" else "!="
                parts = [f"{ref} {symbol} {_quoted(code)}" for code in cond[op]]
                text = (" or " if op == "in" else " and ").join(parts)
            return f"({text})" if nested and len(parts) > 1 else text
    op = next(op for op in SYMBOLS if op in cond)
    if types[qid] != "number":
        raise ValueError(f"{qid}: a {types[qid]} answer has no XLSForm comparison")
    return f"{ref} {SYMBOLS[op]} {_number(cond[op])}"
