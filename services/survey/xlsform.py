"""Questionnaires from and to XLSForm workbooks (docs/xlsform.md has the mapping).

Import: the workbook is read by pyxform (``shared.xlsform``), each row of ``survey``
becomes a question of a questionnaire document (``questionnaire_document``), the
``settings`` give the code and titles, and the result is a new version of the code
(``questionnaires.create_questionnaire``). Whatever Kaoping cannot express is refused
(422) under the cell's name, ``{"survey!B7 (type)": ["geopoint is not supported ..."]}``,
all problems at once; nothing is stored.

Kaoping's own fields that XLSForm has no column for (a rating's scale, yes/no, skip_to
jumps, margins, satisfied codes, own DK/refused codes, a condition no expression
writes) travel in the extra ``kaoping`` column as a JSON object.

Export: a version as a workbook that imports back to the same document; only a voice
question (telephone only) is refused (422) naming the question's field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.orm import Session

from shared.errors import BadRequest, Problems, ValidationFailed
from shared.inputs import loads
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
from .questionnaire_document import (
    CLOSED_TYPES,
    DEFAULT_DK,
    DEFAULT_REFUSED,
    substantive_codes,
    validate_document,
)
from .questionnaires import create_questionnaire, get_questionnaire
from .xlsform_relevant import ExpressionError, condition, expression

# ``kaoping``: Kaoping's own fields that XLSForm has no column for, as a JSON object
# (ODK and KoBoToolbox read past the column).
KAOPING = "kaoping"
SURVEY_COLUMNS = ("type", "name", ZH_LABEL, EN_LABEL, "required", "relevant", "constraint",
                  KAOPING)
EXTRA_KEYS = ("type", "scale", "satisfied", "margin", "skip_to", "dk_code", "refused_code",
              "show_if")
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
TITLE_LENGTH = 300
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
QUESTION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
# Where a problem that the document check finds is shown: its field → the column.
FIELD_COLUMNS = {"options": "type", "range": "constraint", "max_length": "constraint",
                 "show_if": "relevant", "text": ZH_LABEL, "dk_code": "type",
                 "refused_code": "type", "type": "type", "scale": KAOPING,
                 "satisfied": KAOPING, "margin": KAOPING, "skip_to": KAOPING}


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
    (``1``, ``2``, ``-1``, …), else 1, 2, … in the list's order."""
    if all(re.fullmatch(r"-?\d{1,9}", choice["name"]) for choice in choices):
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
    for language, column in (("zh-CN", "form_title"), ("en", "form_title::English (en)")):
        if len(titles.get(language, "")) > TITLE_LENGTH:
            problems.add(cell(sheet, row, column), f"at most {TITLE_LENGTH} characters")
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


def _names(question: dict, codes: bool = True) -> dict[str, int]:
    """``{choice name: code}`` an expression may use: the don't-know and refused codes
    of a closed question and (``codes``) its answer codes, the names the export writes
    (an import adds the workbook's own choice names instead)."""
    if question["type"] not in CLOSED_TYPES:
        return {}
    answers: list[int] = []
    if codes and question["type"] in ("single", "multiple"):
        answers = [option["code"] for option in question.get("options", [])]
    elif codes:
        answers = substantive_codes(question) or []
    specials = [question.get(key, default) for key, default in
                (("dk_code", DEFAULT_DK), ("refused_code", DEFAULT_REFUSED))]
    return {str(code): code for code in [*answers, *specials] if code is not None}


def _extras(sheet: Sheet, row: int, values: dict, problems: Problems) -> dict | None:
    """The ``kaoping`` column's object (``{}`` when blank); None after a problem."""
    text = values.get(KAOPING)
    if not text:
        return {}
    try:
        extras = loads(text)
    except (ValueError, BadRequest) as exc:
        problems.add(cell(sheet, row, KAOPING), f"is not a JSON object ({exc})")
        return None
    if not isinstance(extras, dict):
        problems.add(cell(sheet, row, KAOPING), "is not a JSON object")
        return None
    unknown = sorted(set(extras) - set(EXTRA_KEYS))
    if unknown:
        problems.add(cell(sheet, row, KAOPING),
                     f"unknown keys {', '.join(unknown)} (known: {', '.join(EXTRA_KEYS)})")
        return None
    return extras


def _kaoping_type(sheet: Sheet, row: int, typed: dict, extras: dict,
                  problems: Problems) -> dict | None:
    """A select_one that the ``kaoping`` column makes a rating or a yes/no question."""
    kind = extras.get("type")
    if kind is None:
        return typed
    where = cell(sheet, row, KAOPING)
    if kind not in ("rating", "yesno") or typed["type"] != "single":
        problems.add(where, "type can be rating or yesno, on a select_one row")
        return None
    if kind == "yesno":
        points = [1, 2]
    else:
        scale = extras.get("scale")
        if not isinstance(scale, dict) or not all(
                isinstance(scale.get(end), int) for end in ("min", "max")):
            problems.add(where, "a rating needs its scale: {\"min\", \"max\", \"min_label\", "
                                "\"max_label\"}")
            return None
        points = list(range(scale["min"], scale["max"] + 1))
    if [option["code"] for option in typed["options"]] != points:
        problems.add(cell(sheet, row, "type"),
                     f"the choices of a {kind} question are its codes {points}, in order")
        return None
    return {"type": kind, "names": typed["names"],
            **({"scale": extras["scale"]} if kind == "rating" else {})}


def _question(sheet: Sheet, row: int, values: dict, lists: dict[str, list[dict]],
              earlier: dict[str, dict], problems: Problems) -> dict | None:
    """The question of a survey row (None after a problem); ``earlier`` gets what the
    next rows' expressions need to know of it."""
    kind, _, list_name = (values.get("type") or "").strip().partition(" ")
    label = texts(sheet, row, values, problems)
    qid = values.get("name", "")
    if not QUESTION_ID.match(qid) or qid.upper() == "END":
        problems.add(cell(sheet, row, "name"),
                     "needs a name: a letter, then letters, digits or _ (at most 60)")
    elif qid in earlier:
        problems.add(cell(sheet, row, "name"),
                     f"duplicate name {qid!r} (also row {earlier[qid]['row']})")
    typed = _typed(sheet, row, values, kind, list_name, lists, problems)
    extras = _extras(sheet, row, values, problems)
    if typed is not None and extras is not None:
        typed = _kaoping_type(sheet, row, typed, extras, problems)
    required = flag(sheet, row, values, "required", problems)
    show_if = None
    if values.get("relevant"):
        try:
            show_if = condition(values["relevant"], earlier)
        except ExpressionError as exc:
            problems.add(cell(sheet, row, "relevant"), f"not supported: {exc}")
        if extras and "show_if" in extras:
            problems.add(cell(sheet, row, KAOPING),
                         "show_if and the relevant column cannot both be given")
    if typed is None or extras is None or qid in earlier or not QUESTION_ID.match(qid):
        return None
    names = typed.pop("names", {})          # the workbook's names, then DK and refused
    question = {"id": qid, **typed, "text": label, "required": required,
                **{k: v for k, v in extras.items() if k not in ("type", "scale")}}
    if show_if is not None:
        question["show_if"] = show_if
    for name, code in _names(question, codes=False).items():
        names.setdefault(name, code)
    earlier[qid] = {"id": qid, "type": typed["type"], "names": names, "row": row}
    return question


def parse_workbook(book: Workbook) -> dict[str, Any]:
    """``{"code", "title_zh", "title_en", "document"}`` of a workbook; ValidationFailed
    (422) naming the sheet, row and column of every problem."""
    problems = Problems()
    settings = _settings(book, problems)
    lists = choice_lists(book.choices, problems)
    sheet = book.survey
    questions: list[dict] = []
    earlier: dict[str, dict] = {}
    intro: tuple[int, dict] | None = None
    for row, values in sheet.rows:
        kind = (values.get("type") or "").strip().partition(" ")[0]
        if kind in METADATA_TYPES:
            continue
        refuse_columns(sheet, row, values, REFUSED_COLUMNS, problems, "in Kaoping")
        if not kind:
            problems.add(cell(sheet, row, "type"), "needs a type")
        elif kind == "note":
            if questions or intro:
                problems.add(cell(sheet, row, "type"),
                             "a note is supported only as the first row (the introduction)")
            refuse_columns(sheet, row, values, ("relevant", "required", "constraint"),
                           problems, "on the introduction")
            intro = (row, texts(sheet, row, values, problems))
        else:
            question = _question(sheet, row, values, lists, earlier, problems)
            if question is not None:
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
        _relocate(failed.errors, sheet, {qid: e["row"] for qid, e in earlier.items()},
                  intro, problems)
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


def _choices(q: dict) -> list[dict]:
    """A closed question's options as the workbook's choices (a rating's points, with
    its end labels; yes/no as 1 and 2)."""
    if q["type"] == "yesno":
        return [{"code": 1, "label": {"zh-CN": "是", "en": "Yes"}},
                {"code": 2, "label": {"zh-CN": "否", "en": "No"}}]
    if q["type"] == "rating":
        scale = q["scale"]
        return [{"code": code, "label": scale["min_label"] if code == scale["min"] else
                 scale["max_label"] if code == scale["max"] else
                 {"zh-CN": str(code), "en": str(code)}}
                for code in range(scale["min"], scale["max"] + 1)]
    return q.get("options", [])


def _relevant(q: dict, earlier: dict[str, dict], extras: dict) -> str:
    """The expression of ``show_if`` when it reads back the same, else ``""`` with the
    condition in ``extras``."""
    try:
        text = expression(q["show_if"], {qid: e["type"] for qid, e in earlier.items()})
        if condition(text, earlier) == q["show_if"]:
            return text
    except (ValueError, KeyError):
        pass
    extras["show_if"] = q["show_if"]
    return ""


def _survey_row(q: dict, earlier: dict[str, dict],
                problems: Problems) -> tuple[list[Any], list[list[Any]]]:
    """The question's survey row and its choice rows."""
    where, kind = f"questions.{q['id']}", q["type"]
    extras = {key: q[key] for key in ("skip_to", "margin", "satisfied") if q.get(key)}
    defaults = (DEFAULT_DK, DEFAULT_REFUSED) if kind in CLOSED_TYPES else (None, None)
    if (q.get("dk_code"), q.get("refused_code")) != defaults:
        extras.update(dk_code=q.get("dk_code"), refused_code=q.get("refused_code"))
    constraint, choices = "", []
    if kind in CLOSED_TYPES:
        xls_type = f"{'select_multiple' if kind == 'multiple' else 'select_one'} {q['id']}"
        if kind in ("rating", "yesno"):
            extras["type"] = kind
        if kind == "rating":
            extras["scale"] = q["scale"]
        choices = [[q["id"], str(o["code"]), o["label"]["zh-CN"], o["label"]["en"]]
                   for o in _choices(q)]
    elif kind == "number":
        xls_type = "integer" if q.get("integer", True) else "decimal"
        constraint = (f". >= {number_text(q['range']['min'])} and "
                      f". <= {number_text(q['range']['max'])}")
    elif kind == "text":
        xls_type = "text"
        if q.get("max_length", DEFAULT_TEXT_LENGTH) != DEFAULT_TEXT_LENGTH:
            constraint = f"string-length(.) <= {q['max_length']}"
    else:
        problems.add(f"{where}.type", f"a {kind} question has no XLSForm form (telephone "
                                      "only)")
        return [], []
    relevant = _relevant(q, earlier, extras) if q.get("show_if") else ""
    extra_text = json.dumps(extras, ensure_ascii=False, sort_keys=True,
                            separators=(",", ":")) if extras else ""
    return [xls_type, q["id"], q["text"]["zh-CN"], q["text"]["en"],
            "yes" if q.get("required", True) else "no", relevant, constraint,
            extra_text], choices


def export_workbook(session: Session, questionnaire_id: int) -> tuple[str, bytes]:
    """``(file name, XLSX)`` of a version; ValidationFailed (422) naming each question
    field XLSForm cannot carry; NotFound for an unknown version."""
    questionnaire = get_questionnaire(session, questionnaire_id)
    document = questionnaire.document
    problems = Problems()
    survey, choices, earlier = [], [], {}
    ids = {q["id"] for q in document["questions"]}
    if document.get("intro"):
        survey.append(["note", "intro" if "intro" not in ids else "kaoping_intro",
                       document["intro"]["zh-CN"], document["intro"]["en"]])
    for q in document["questions"]:
        row, rows = _survey_row(q, earlier, problems)
        earlier[q["id"]] = {"id": q["id"], "type": q["type"], "names": _names(q)}
        if row:
            survey.append(row)
            choices.extend(rows)
    problems.raise_if_any(f"Questionnaire {questionnaire.code} v{questionnaire.version} "
                          "uses what XLSForm cannot carry")
    body = write_workbook({
        "survey": (SURVEY_COLUMNS, survey), "choices": (CHOICE_COLUMNS, choices),
        "settings": (SETTINGS_COLUMNS, [[questionnaire.code, questionnaire.title_zh,
                                         questionnaire.title_en, str(questionnaire.version)]]),
    })
    return f"{questionnaire.code}-v{questionnaire.version}.xlsx", body
