"""XLSForm workbooks in and out, shared by the survey (questionnaires) and the inspection
service (checklists).

Reading: :func:`read_workbook` hands the upload to pyxform's own workbook reader
(``pyxform.xls2json_backends.get_xlsform``: the ``survey``, ``choices`` and ``settings``
sheets as rows of ``{column: text}``, blank rows kept so that row numbers hold) and
records where each column stands, so that a problem names the cell as a person sees
it: :func:`cell` gives ``"survey!B7 (type)"`` (sheet, column letter, 1-based row,
column header), the key of the ``errors`` of the 422 envelope. :func:`pyxform_check`
runs pyxform's XLSForm checks (``workbook_to_json``) over what our own mapping
accepted, for what only pyxform knows (names that are no XML names, and the like).

Writing: :func:`write_workbook` builds the ``survey``, ``choices`` and ``settings``
sheets; text is stored as text (an expression starting with ``=`` is no formula).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.errors import Problems, ValidationFailed

ZH_LABEL = "label::zh-CN"
EN_LABEL = "label::English (en)"
# Column headers read as the zh-CN / en label (the first one present wins); the plain
# ``label`` stands for a language the sheet has no column of.
LABEL_ALIASES = {"zh-CN": ("label::zh-CN", "label::Chinese (zh-CN)", "label::中文 (zh-CN)",
                           "label::zh"),
                 "en": ("label::English (en)", "label::en", "label::English")}
TRUE_WORDS = ("yes", "true", "1", "true()")
FALSE_WORDS = ("no", "false", "0", "false()")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    """One XLSForm sheet: ``rows`` as ``(row number, {column: text})`` without the blank
    ones, and ``letters`` ``{column header: column letter}``."""

    name: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)

    def cell(self, row: int | None, column: str) -> str:
        return cell(self, row, column)


@dataclass
class Workbook:
    survey: Sheet
    choices: Sheet
    settings: Sheet
    definition: Any = None

    def setting(self, key: str) -> str | None:
        """A value of the settings sheet's first row."""
        return self.settings.rows[0][1].get(key) if self.settings.rows else None


def cell(sheet: Sheet, row: int | None, column: str) -> str:
    """``"survey!B7 (type)"``; ``"survey (type)"`` for a column the sheet lacks or no row."""
    letter = sheet.letters.get(column)
    if row is None or letter is None:
        return f"{sheet.name} ({column})"
    return f"{sheet.name}!{letter}{row} ({column})"


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _header_letters(content: bytes) -> dict[str, dict[str, str]]:
    """``{sheet name (lower case): {header: letter}}`` from each sheet's first row."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        found = {}
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            found[sheet.title.lower()] = {
                re.sub(r"( )+", " ", str(value).strip()): _letter(i)
                for i, value in enumerate(first) if value is not None and str(value).strip()}
        return found
    finally:
        book.close()


def read_workbook(content: bytes) -> Workbook:
    """The workbook's three sheets, read by pyxform; ValidationFailed (422) naming
    ``file`` when it is no XLSX workbook or has no ``survey`` sheet."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    try:
        definition = get_xlsform(io.BytesIO(content), file_type=".xlsx")
        letters = _header_letters(content)
    except (PyXFormError, OSError, ValueError, KeyError) as exc:
        raise ValidationFailed("Not an XLSForm workbook", {"file": [
            f"not a readable .xlsx workbook ({str(exc)[:200]})"]}) from None
    except Exception as exc:          # openpyxl raises many kinds on a broken archive
        raise ValidationFailed("Not an XLSForm workbook", {"file": [
            f"not a readable .xlsx workbook ({exc.__class__.__name__})"]}) from None
    sheets = {}
    for name in ("survey", "choices", "settings"):
        rows = getattr(definition, name) or []
        sheets[name] = Sheet(name, [(i + 2, dict(row)) for i, row in enumerate(rows) if row],
                             letters.get(name, {}))
    if not definition.survey_header:
        raise ValidationFailed("Not an XLSForm workbook",
                               {"file": ["the workbook has no sheet named 'survey'"]})
    return Workbook(sheets["survey"], sheets["choices"], sheets["settings"], definition)


def texts(sheet: Sheet, row: int, values: Mapping[str, str], problems: Problems,
          prefix: str = "label") -> dict[str, str] | None:
    """The ``{"zh-CN", "en"}`` texts of a row's label columns (``prefix`` ``label`` or
    ``form_title``); a problem at the row when a language is missing."""
    found = {}
    for language, headers in LABEL_ALIASES.items():
        for header in headers:
            header = header.replace("label", prefix, 1)
            if values.get(header):
                found[language] = values[header]
                break
        else:
            if values.get(prefix):
                found[language] = values[prefix]
    missing = [lang for lang in LABEL_ALIASES if lang not in found]
    if missing:
        column = ZH_LABEL if "zh-CN" in missing else EN_LABEL
        problems.add(cell(sheet, row, column.replace("label", prefix, 1)),
                     f"needs a text in {' and '.join(missing)} "
                     f"({prefix}::zh-CN and {prefix}::English (en), or {prefix})")
        return None
    return found


def flag(sheet: Sheet, row: int, values: Mapping[str, str], column: str,
         problems: Problems, default: bool = False) -> bool:
    """A yes/no column (yes, true, 1 / no, false, 0, or blank for ``default``)."""
    value = (values.get(column) or "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value not in FALSE_WORDS:
        problems.add(cell(sheet, row, column),
                     f"{values[column]!r} is not yes or no (an expression is not supported)")
    return False


def number(sheet: Sheet, row: int, values: Mapping[str, str], column: str,
           problems: Problems) -> float | None:
    """A number column; None when blank (a problem when it is no finite number)."""
    value = values.get(column)
    if not value:
        return None
    try:
        found = float(value)
    except ValueError:
        found = math.nan
    if not math.isfinite(found):
        problems.add(cell(sheet, row, column), f"{value!r} is not a number")
        return None
    return found


def refuse_columns(sheet: Sheet, row: int, values: Mapping[str, str],
                   columns: Iterable[str], problems: Problems, what: str) -> None:
    """A problem for each of ``columns`` the row fills (what Kaoping cannot express)."""
    for column in columns:
        if values.get(column):
            problems.add(cell(sheet, row, column), f"{column} is not supported {what}")


PYXFORM_ROW = re.compile(r"\[row : (\d+)\]")
PYXFORM_PLACE = re.compile(r"On the '(\w+)' sheet, the '([^']+)' value")


def pyxform_check(workbook: Workbook, problems: Problems) -> None:
    """pyxform's own checks of the workbook: its message under the cell it names
    (``[row : 2] On the 'survey' sheet, the 'name' value ...``), else ``xlsform``."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json

    try:
        workbook_to_json(workbook.definition, warnings=[])
    except Exception as exc:          # pyxform raises more than PyXFormError on odd input
        if not isinstance(exc, PyXFormError):
            problems.add("xlsform", f"pyxform could not read the workbook "
                                    f"({exc.__class__.__name__}: {str(exc)[:200]})")
            return
        message = str(exc)
        row, place = PYXFORM_ROW.search(message), PYXFORM_PLACE.search(message)
        sheets = {"survey": workbook.survey, "choices": workbook.choices,
                  "settings": workbook.settings}
        if row and place and place.group(1) in sheets:
            where = cell(sheets[place.group(1)], int(row.group(1)), place.group(2))
        else:
            where = "xlsform"
        problems.add(where, f"pyxform: {message}")


def number_text(value: float | int) -> str:
    """``3`` for 3.0, ``2.5`` for 2.5, ``0.00001`` for 1e-05: numbers as a person writes
    them in a cell (and the constraints' patterns read them)."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")          # 1e-05 → 0.00001


def write_workbook(sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX with one sheet per ``{name: (columns, rows)}``, in order; every value is
    written as it is, text as text."""
    import openpyxl

    from shared.spreadsheets import xlsx_text

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (columns, rows) in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for values in rows:
            sheet.append([None if v in ("", None) else xlsx_text(v) for v in values])
        for row in sheet.iter_rows(min_row=2):
            for item in row:
                if isinstance(item.value, str) and item.data_type == "f":
                    item.data_type = "s"          # "= 'x'" stays the text it is
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
