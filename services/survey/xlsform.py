"""Questionnaires from and to XLSForm workbooks (docs/xlsform.md has the mapping).

Import: the workbook is read by pyxform (``shared.xlsform``), each row of ``survey``
becomes a question of a questionnaire document (``questionnaire_document``), the
``settings`` give the code and titles, and the result is a new version of the code
(``questionnaires.create_questionnaire``). Whatever Kaoping cannot express is refused
(422) under the cell's name, ``{"survey!B7 (type)": ["geopoint is not supported ..."]}``,
all problems at once; nothing is stored.

Export: a version as a workbook that imports back to the same document; a document
using what XLSForm cannot carry here (rating, yes/no, voice, skip_to jumps, margins,
satisfied codes, own DK/refused codes) is refused (422) naming the question's field.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from shared.errors import Problems, ValidationFailed
from shared.xlsform import (
    EN_LABEL,
    ZH_LABEL,
    Sheet,
    Workbook,
    cell,
    flag,
    number_text,
    pyxform_check,
    read_workbook,
    refuse_columns,
    texts,
    write_workbook,
)

from .models.questionnaires import Questionnaire
from .questionnaire_document import DEFAULT_DK, DEFAULT_REFUSED, validate_document
from .questionnaires import create_questionnaire, get_questionnaire
from .xlsform_relevant import ExpressionError, condition, expression

SURVEY_COLUMNS = ("type", "name", ZH_LABEL, EN_LABEL, "required", "relevant", "constraint")
CHOICE_COLUMNS = ("list_name", "name", ZH_LABEL, EN_LABEL)
SETTINGS_COLUMNS = ("form_id", "form_title", "form_title::English (en)", "version")
# Rows that record the device rather than ask anything: read past.
METADATA_TYPES = ("start", "end", "today", "deviceid", "username", "phonenumber",
                  "simserial", "subscriberid", "audit", "email")
REFUSED_COLUMNS = ("calculation", "default", "choice_filter", "repeat_count", "read_only",
                   "trigger", "parameters", "image", "audio", "video", "media::image")
SUPPORTED = ("select_one, select_multiple, integer, decimal, text, and a note as the "
             "first row (the introduction)")
NUMBER = r"(-?\d+(?:\.\d+)?)"
RANGE = re.compile(rf"^\.\s*>=\s*{NUMBER}\s+and\s+\.\s*<=\s*{NUMBER}$")
LENGTH = re.compile(r"^string-length\(\s*\.\s*\)\s*<=\s*(\d+)$")
DEFAULT_TEXT_LENGTH = 1000
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
QUESTION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
# Where a problem that the document check finds is shown: its field → the column.
FIELD_COLUMNS = {"options": "type", "range": "constraint", "max_length": "constraint",
                 "show_if": "relevant", "text": ZH_LABEL, "dk_code": "type",
                 "refused_code": "type", "type": "type"}


def choice_lists(sheet: Sheet, problems: Problems) -> dict[str, list[dict]]:
    """``{list name: [{"row", "name", "label"}]}`` of the choices sheet; duplicate or
    missing names are problems at their cells."""
    lists: dict[str, list[dict]] = {}
    for row, values in sheet.rows:
        list_name, name = values.get("list_name"), values.get("name")
        if not list_name:
            problems.add(cell(sheet, row, "list_name"), "needs the name of its list")
            continue
        if not name:
            problems.add(cell(sheet, row, "name"), "needs a choice name")
            continue
        choices = lists.setdefault(list_name, [])
        if any(choice["name"] == name for choice in choices):
            problems.add(cell(sheet, row, "name"),
                         f"duplicate choice name {name!r} in list {list_name!r}")
            continue
        choices.append({"row": row, "name": name,
                        "label": texts(sheet, row, values, problems)})
    return lists


def _codes(choices: list[dict]) -> dict[str, int]:
    """Choice names as answer codes: the names themselves when all are whole numbers
    (``1``, ``2``, …), else 1, 2, … in the list's order."""
    if all(re.fullmatch(r"\d{1,6}", choice["name"]) for choice in choices):
        return {choice["name"]: int(choice["name"]) for choice in choices}
    return {choice["name"]: i for i, choice in enumerate(choices, start=1)}


def _settings(book: Workbook, problems: Problems) -> dict[str, str]:
    sheet = book.settings
    row, values = sheet.rows[0] if sheet.rows else (2, {})
    code = values.get("form_id")
    if not code or not CODE.match(code):
        problems.add(cell(sheet, row, "form_id") if sheet.rows else "settings (form_id)",
                     "needs form_id: the questionnaire's code (letters, digits, _ . -; "
                     "at most 60)")
    titles = texts(sheet, row, values, problems, prefix="form_title") or {}
    return {"code": code or "", "title_zh": titles.get("zh-CN", ""),
            "title_en": titles.get("en", "")}


def _typed(sheet: Sheet, row: int, values: dict, kind: str, list_name: str,
           lists: dict[str, list[dict]], problems: Problems) -> dict | None:
    """The type's own fields of a question (options, range, max_length)."""
    constraint = values.get("constraint", "")
    if kind in ("select_one", "select_multiple"):
        if " " in list_name:
            problems.add(cell(sheet, row, "type"),
                         f"{values['type']!r}: or_other and choice files are not supported")
            return None
        if list_name not in lists:
            problems.add(cell(sheet, row, "type"),
                         f"choice list {list_name!r} is not on the choices sheet")
            return None
        refuse_columns(sheet, row, values, ["constraint"], problems, "on a select question")
        codes = _codes(lists[list_name])
        return {"type": "single" if kind == "select_one" else "multiple",
                "options": [{"code": codes[c["name"]], "label": c["label"]}
                            for c in lists[list_name] if c["label"]],
                "names": codes}
    if kind in ("integer", "decimal"):
        bounds = RANGE.match(constraint.strip())
        if not bounds:
            problems.add(cell(sheet, row, "constraint"),
                         "a number needs its range as the constraint, e.g. "
                         "'. >= 0 and . <= 100' (other constraints are not supported)")
            return None
        low, high = (float(b) for b in bounds.groups())
        return {"type": "number", "integer": kind == "integer",
                "range": {"min": int(low) if low.is_integer() else low,
                          "max": int(high) if high.is_integer() else high}}
    if kind == "text":
        if not constraint:
            return {"type": "text"}
        length = LENGTH.match(constraint.strip())
        if not length:
            problems.add(cell(sheet, row, "constraint"),
                         "a text's constraint can only be 'string-length(.) <= N'")
            return None
        return {"type": "text", "max_length": int(length.group(1))}
    problems.add(cell(sheet, row, "type"),
                 f"{values['type']} is not supported (Kaoping's questions: {SUPPORTED})")
    return None


def parse_workbook(book: Workbook) -> dict[str, Any]:
    """``{"code", "title_zh", "title_en", "document"}`` of a workbook; ValidationFailed
    (422) naming the sheet, row and column of every problem."""
    problems = Problems()
    settings = _settings(book, problems)
    lists = choice_lists(book.choices, problems)
    sheet = book.survey
    questions: list[dict] = []
    rows_of: dict[str, int] = {}
    earlier: dict[str, dict] = {}
    intro: tuple[int, dict] | None = None
    for row, values in sheet.rows:
        kind, _, list_name = (values.get("type") or "").strip().partition(" ")
        if kind in METADATA_TYPES:
            continue
        refuse_columns(sheet, row, values, REFUSED_COLUMNS, problems, "in Kaoping")
        if not kind:
            problems.add(cell(sheet, row, "type"), "needs a type")
            continue
        label = texts(sheet, row, values, problems)
        if kind == "note":
            if questions or intro:
                problems.add(cell(sheet, row, "type"),
                             "a note is supported only as the first row (the introduction)")
            refuse_columns(sheet, row, values, ("relevant", "required", "constraint"),
                           problems, "on the introduction")
            intro = (row, label)
            continue
        qid = values.get("name", "")
        if not QUESTION_ID.match(qid) or qid.upper() == "END":
            problems.add(cell(sheet, row, "name"),
                         "needs a name: a letter, then letters, digits or _ (at most 60)")
        elif qid in rows_of:
            problems.add(cell(sheet, row, "name"),
                         f"duplicate name {qid!r} (also row {rows_of[qid]})")
        typed = _typed(sheet, row, values, kind, list_name, lists, problems)
        required = flag(sheet, row, values, "required", problems)
        show_if = None
        if values.get("relevant"):
            try:
                show_if = condition(values["relevant"], earlier)
            except ExpressionError as exc:
                problems.add(cell(sheet, row, "relevant"), f"not supported: {exc}")
        if typed is None or qid in rows_of or not QUESTION_ID.match(qid):
            continue
        names = typed.pop("names", {})
        question = {"id": qid, **typed, "text": label, "required": required}
        if show_if is not None:
            question["show_if"] = show_if
        rows_of[qid] = row
        earlier[qid] = {"id": qid, "type": typed["type"], "names": names}
        questions.append(question)
    if not questions and not problems:
        problems.add("survey (type)", "needs at least one question")
    problems.raise_if_any("This XLSForm cannot be imported")
    document: dict[str, Any] = {"questions": questions}
    if intro:
        document["intro"] = intro[1]
    try:
        document = validate_document(document)
    except ValidationFailed as failed:
        _relocate(failed.errors, sheet, rows_of, intro, problems)
    if not problems:
        pyxform_check(book, problems)
    problems.raise_if_any("This XLSForm cannot be imported")
    return {**settings, "document": document}


def _relocate(errors: dict, sheet: Sheet, rows_of: dict[str, int],
              intro: tuple[int, dict] | None, problems: Problems) -> None:
    """The document check's problems (``questions.q3.range``) at their cells."""
    for key, reasons in errors.items():
        parts = key.split(".")
        if parts[0] == "questions" and len(parts) > 1 and parts[1] in rows_of:
            column = FIELD_COLUMNS.get(parts[2] if len(parts) > 2 else "", "name")
            where = cell(sheet, rows_of[parts[1]], column)
        elif parts[0] == "intro" and intro:
            where = cell(sheet, intro[0], ZH_LABEL)
        else:
            where = f"survey ({key})"
        for reason in reasons:
            problems.add(where, reason)


def import_questionnaire(session: Session, content: bytes) -> Questionnaire:
    """A new version of the workbook's ``form_id`` from an XLSForm upload."""
    return create_questionnaire(session, **parse_workbook(read_workbook(content)))


def _survey_row(q: dict, types: dict[str, str], problems: Problems) -> list[Any]:
    where, kind = f"questions.{q['id']}", q["type"]
    for key in ("skip_to", "margin", "satisfied"):
        if q.get(key):
            problems.add(f"{where}.{key}", f"{key} has no XLSForm form in Kaoping's mapping")
    special = (q.get("dk_code"), q.get("refused_code"))
    if special not in ((DEFAULT_DK, DEFAULT_REFUSED), (None, None)) or (
            kind == "number" and special != (None, None)):
        problems.add(f"{where}.dk_code", "own DK/refused codes have no XLSForm form")
    constraint = ""
    if kind in ("single", "multiple"):
        xls_type = f"{'select_one' if kind == 'single' else 'select_multiple'} {q['id']}"
    elif kind == "number":
        xls_type = "integer" if q.get("integer", True) else "decimal"
        constraint = (f". >= {number_text(q['range']['min'])} and "
                      f". <= {number_text(q['range']['max'])}")
    elif kind == "text":
        xls_type = "text"
        if q.get("max_length", DEFAULT_TEXT_LENGTH) != DEFAULT_TEXT_LENGTH:
            constraint = f"string-length(.) <= {q['max_length']}"
    else:
        problems.add(f"{where}.type", f"a {kind} question has no XLSForm form "
                                      f"(supported: single, multiple, number, text)")
        return []
    relevant = ""
    if q.get("show_if"):
        try:
            relevant = expression(q["show_if"], types)
        except (ValueError, KeyError) as exc:
            problems.add(f"{where}.show_if", f"has no XLSForm form: {exc}")
    return [xls_type, q["id"], q["text"]["zh-CN"], q["text"]["en"],
            "yes" if q.get("required", True) else "no", relevant, constraint]


def export_workbook(session: Session, questionnaire_id: int) -> tuple[str, bytes]:
    """``(file name, XLSX)`` of a version; ValidationFailed (422) naming each question
    field XLSForm cannot carry; NotFound for an unknown version."""
    questionnaire = get_questionnaire(session, questionnaire_id)
    document = questionnaire.document
    problems = Problems()
    survey, choices, types = [], [], {}
    ids = {q["id"] for q in document["questions"]}
    if document.get("intro"):
        survey.append(["note", "intro" if "intro" not in ids else "kaoping_intro",
                       document["intro"]["zh-CN"], document["intro"]["en"], "", "", ""])
    for q in document["questions"]:
        row = _survey_row(q, types, problems)
        types[q["id"]] = q["type"]
        if row:
            survey.append(row)
        for option in q.get("options", []):
            choices.append([q["id"], str(option["code"]), option["label"]["zh-CN"],
                            option["label"]["en"]])
    problems.raise_if_any(f"Questionnaire {questionnaire.code} v{questionnaire.version} "
                          "uses what XLSForm cannot carry")
    body = write_workbook({
        "survey": (SURVEY_COLUMNS, survey), "choices": (CHOICE_COLUMNS, choices),
        "settings": (SETTINGS_COLUMNS, [[questionnaire.code, questionnaire.title_zh,
                                         questionnaire.title_en, str(questionnaire.version)]]),
    })
    return f"{questionnaire.code}-v{questionnaire.version}.xlsx", body
