"""Checklists from and to XLSForm workbooks (docs/xlsform.md has the mapping).

Each row of the ``survey`` sheet is a checklist item: ``select_one`` of a list with the
choices ``pass`` and ``fail`` (and ``na``) is a pass/fail item, ``integer`` or
``decimal`` with the constraint ``. >= 0 and . <= M`` a points item of at most M, a
``decimal`` with a ``unit`` a measurement (``tolerance``, ``tolerance_kind``), ``text``
a remark; the columns ``weight``, ``critical`` and ``photo_required`` carry the rest.
``settings``: ``form_id`` is the code, ``form_title`` the names, ``critical_cap`` the
cap. What a checklist cannot express (skip logic, notes, other types) is refused (422)
naming the cell, ``{"survey!A7 (type)": [...]}``; nothing is stored.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from services.inspection.checklists import create_template, get_template, validate_template
from services.inspection.models.checklists import ChecklistTemplate
from services.inspection.schemas.checklists import ChecklistInSchema
from shared.errors import Problems, ValidationFailed
from shared.xlsform import (
    EN_LABEL,
    ZH_LABEL,
    Sheet,
    Workbook,
    cell,
    flag,
    number,
    number_text,
    pyxform_check,
    read_workbook,
    refuse_columns,
    texts,
    write_workbook,
)

SURVEY_COLUMNS = ("type", "name", ZH_LABEL, EN_LABEL, "constraint", "weight", "critical",
                  "photo_required", "unit", "tolerance", "tolerance_kind")
CHOICE_COLUMNS = ("list_name", "name", ZH_LABEL, EN_LABEL)
SETTINGS_COLUMNS = ("form_id", "form_title", "form_title::English (en)", "critical_cap",
                    "version")
PASS_FAIL_CHOICES = (("pass", "合格", "Pass"), ("fail", "不合格", "Fail"),
                     ("na", "不适用", "Not applicable"))
REFUSED_COLUMNS = ("relevant", "calculation", "default", "choice_filter", "repeat_count",
                   "read_only", "trigger", "parameters")
MAXIMUM = re.compile(r"^(?:\.\s*>=\s*0\s+and\s+)?\.\s*<=\s*(\d+(?:\.\d+)?)$")
SUPPORTED = ("select_one of pass/fail (/na), integer or decimal with '. >= 0 and . <= M' "
             "(points), decimal with a unit (measurement), text")
# Where a problem with an item's field is shown: the field → the column.
FIELD_COLUMNS = {"item_id": "name", "text_zh": ZH_LABEL, "text_en": EN_LABEL,
                 "weight": "weight", "response_type": "type", "max_points": "constraint",
                 "unit_of_measure": "unit", "tolerance": "tolerance",
                 "tolerance_kind": "tolerance_kind", "critical": "critical",
                 "photo_required": "photo_required"}


def _pass_fail_lists(sheet: Sheet, problems: Problems) -> dict[str, set[str]]:
    lists: dict[str, list[str]] = {}
    for row, values in sheet.rows:
        names = lists.setdefault(values.get("list_name", ""), [])
        if values.get("name") in names:
            problems.add(cell(sheet, row, "name"), f"duplicate choice name {values['name']!r} "
                                                   f"in list {values.get('list_name')!r}")
        names.append(values.get("name", ""))
    return {name: set(choices) for name, choices in lists.items()}


def _response(sheet: Sheet, row: int, values: dict, lists: dict[str, set[str]],
              problems: Problems) -> dict[str, Any] | None:
    """The response type's fields of an item."""
    kind, _, list_name = (values.get("type") or "").strip().partition(" ")
    if kind == "select_one":
        if list_name not in lists:
            problems.add(cell(sheet, row, "type"),
                         f"choice list {list_name!r} is not on the choices sheet")
        elif not {"pass", "fail"} <= lists[list_name] <= {"pass", "fail", "na"}:
            problems.add(cell(sheet, row, "type"),
                         f"a checklist's select_one is pass/fail: list {list_name!r} needs "
                         "the choices pass and fail (and na), nothing else")
        else:
            return {"response_type": "pass_fail"}
        return None
    if kind in ("integer", "decimal") and not values.get("unit"):
        bound = MAXIMUM.match((values.get("constraint") or "").strip())
        if not bound:
            problems.add(cell(sheet, row, "constraint"),
                         "a points item needs its maximum as the constraint, e.g. "
                         "'. >= 0 and . <= 10'")
            return None
        return {"response_type": "points", "max_points": float(bound.group(1))}
    if kind == "decimal":
        refuse_columns(sheet, row, values, ["constraint"], problems, "on a measurement")
        return {"response_type": "measurement", "unit_of_measure": values["unit"],
                "tolerance": number(sheet, row, values, "tolerance", problems),
                "tolerance_kind": values.get("tolerance_kind") or None}
    if kind == "text":
        return {"response_type": "text"}
    problems.add(cell(sheet, row, "type"),
                 f"{values.get('type') or 'a blank type'} is not supported in a checklist "
                 f"({SUPPORTED})")
    return None


def parse_workbook(book: Workbook) -> dict[str, Any]:
    """The checklist (``ChecklistInSchema``'s fields) of a workbook; ValidationFailed
    (422) naming the sheet, row and column of every problem."""
    problems = Problems()
    sheet, settings = book.survey, book.settings
    srow, svalues = settings.rows[0] if settings.rows else (None, {})
    names = texts(settings, srow, svalues, problems, prefix="form_title") or {}
    data: dict[str, Any] = {"code": svalues.get("form_id") or "",
                            "name_zh": names.get("zh-CN", ""), "name_en": names.get("en", ""),
                            "items": []}
    cap = number(settings, srow, svalues, "critical_cap", problems)
    if cap is not None:
        data["critical_cap"] = cap
    lists = _pass_fail_lists(book.choices, problems)
    rows: list[int] = []
    for row, values in sheet.rows:
        refuse_columns(sheet, row, values, REFUSED_COLUMNS, problems,
                       "in a checklist (its items have no skip logic)")
        response = _response(sheet, row, values, lists, problems)
        label = texts(sheet, row, values, problems) or {}
        item = {"item_id": values.get("name") or "", "text_zh": label.get("zh-CN", ""),
                "text_en": label.get("en", ""),
                "critical": flag(sheet, row, values, "critical", problems),
                "photo_required": flag(sheet, row, values, "photo_required", problems)}
        weight = number(sheet, row, values, "weight", problems)
        if weight is not None:
            item["weight"] = weight
        if response is not None:
            data["items"].append({**item, **response})
            rows.append(row)
    if not sheet.rows:
        problems.add("survey (type)", "needs at least one item")
    problems.raise_if_any("This XLSForm cannot be imported")
    try:
        loaded = ChecklistInSchema().load(data)
    except ValidationError as failed:
        _relocate(_flat(failed.messages), book, rows, srow, problems)
        loaded = failed.valid_data if "items" not in failed.messages else {}
    if "items" in loaded:
        try:
            validate_template(loaded)
        except ValidationFailed as failed:
            _relocate(failed.errors, book, rows, srow, problems)
    if not problems:
        pyxform_check(book, problems)
    problems.raise_if_any("This XLSForm cannot be imported")
    return loaded


def _flat(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"items.0.weight": [...]}``."""
    if isinstance(messages, list):
        return {prefix: [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _relocate(errors: dict, book: Workbook, rows: list[int], settings_row: int | None,
              problems: Problems) -> None:
    settings_columns = {"code": "form_id", "name_zh": "form_title",
                        "name_en": "form_title::English (en)", "critical_cap": "critical_cap"}
    for key, reasons in errors.items():
        parts = key.split(".")
        if parts[0] == "items" and len(parts) > 2 and parts[1].isdigit():
            where = cell(book.survey, rows[int(parts[1])], FIELD_COLUMNS.get(parts[2], "name"))
        elif parts[0] in settings_columns:
            where = cell(book.settings, settings_row, settings_columns[parts[0]])
        else:
            where = f"survey ({key})"
        for reason in reasons:
            problems.add(where, reason)


def import_checklist(session: Session, content: bytes, author: str) -> ChecklistTemplate:
    """The next version of the workbook's ``form_id`` from an XLSForm upload."""
    return create_template(session, parse_workbook(read_workbook(content)), author)


def _row(item: Any) -> list[Any]:
    kind = item.response_type
    xls_type = {"pass_fail": "select_one pass_fail", "text": "text"}.get(kind, "decimal")
    constraint = f". >= 0 and . <= {number_text(item.max_points)}" if kind == "points" else ""
    measured = kind == "measurement"
    return [xls_type, item.item_id, item.text_zh, item.text_en, constraint,
            number_text(item.weight), "yes" if item.critical else "no",
            "yes" if item.photo_required else "no",
            item.unit_of_measure if measured else "",
            number_text(item.tolerance) if measured else "",
            item.tolerance_kind if measured else ""]


def export_workbook(session: Session, template_id: int) -> tuple[str, bytes]:
    """``(file name, XLSX)`` of a checklist version; it imports back to the same items."""
    template = get_template(session, template_id)
    body = write_workbook({
        "survey": (SURVEY_COLUMNS, [_row(item) for item in template.items]),
        "choices": (CHOICE_COLUMNS, [("pass_fail", *choice) for choice in PASS_FAIL_CHOICES]),
        "settings": (SETTINGS_COLUMNS, [[template.code, template.name_zh, template.name_en,
                                         number_text(template.critical_cap),
                                         str(template.version)]]),
    })
    return f"{template.code}-v{template.version}.xlsx", body
