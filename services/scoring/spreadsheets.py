"""CSV and XLSX imports and the cells of exports, for what people keep in spreadsheets.

Decoding, XLSX reading, the formula guard, the writers and ``export`` are in
:mod:`shared.spreadsheets`; here is what scoring's imports add on top: the header
must name the required columns and nothing unknown, formula cells are refused, and
problems are collected per row and column in a :class:`shared.errors.Problems`, which
:func:`refuse` turns into one 422 (or 403, 409) that ends an all-or-nothing import.
Exports pass :func:`export_cell` to ``shared.spreadsheets.export``: ``None``, lists,
booleans and dates become plain text before the shared guard.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from shared import spreadsheets as sheets
from shared.errors import DomainError, Problems, ValidationFailed
from shared.spreadsheets import guard

# What a domain function gives an export: the file name, the columns, the rows.
Sheet = tuple[str, Sequence[str], list[list[Any]]]


def refuse(problems: Problems, what: str, error: type[DomainError] = ValidationFailed,
           outcome: str = "nothing was imported") -> None:
    """Raise ``error`` (default 422) listing the rows — "<what>: N problem(s); <outcome>"
    — when ``problems`` holds any."""
    more = f" (first {problems.max_rows} rows listed)" \
        if len(problems.errors) >= problems.max_rows else ""
    problems.raise_if_any(f"{what}: {problems.count} problem(s); {outcome}{more}", error)


def upload_payload(query: dict[str, str], content: bytes) -> dict[str, str]:
    """What identifies an upload for idempotency: its query string and the file's hash."""
    return {"query": query, "file": hashlib.sha256(content).hexdigest()}


def decode_csv(content: bytes) -> str:
    """UTF-8 (BOM optional), else GB18030; raise ValidationFailed for anything else."""
    try:
        return sheets.decode_csv(content, reject_nul=True)
    except sheets.UnreadableFile as exc:
        raise ValidationFailed("The file is not text in UTF-8 or GBK/GB18030",
                               {"file": [exc.detail]}) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Table:
    """Rows of an uploaded sheet as ``(row_number, {column: text})``; text is stripped.

    ``row_number`` is the row a spreadsheet shows, i.e. the line of a CSV file: the
    header is row 1, the first data row is row 2 (blank rows are counted, not yielded).
    """

    def __init__(self, header: list[str], rows: Iterator[tuple[int, list[Any]]],
                 errors: Problems, texts_only: bool = False, refuse_formulas: bool = True):
        self.header = header
        self._rows = rows
        self.errors = errors
        self._texts_only = texts_only  # CSV cells are str already: the fast path
        self._refuse_formulas = refuse_formulas

    def lists(self) -> Iterator[tuple[int, list[str]]]:
        """Rows as lists of stripped text in header order (blank rows skipped); formula
        cells are noted as errors unless the table was opened to accept them."""
        header = self.header
        width = len(header)
        for number, cells in self._rows:
            if self._texts_only:
                texts = [c.strip() for c in cells[:width]]
            else:
                texts = [_cell_text(c) for c in cells[:width]]
            if not any(texts):
                continue  # blank lines are not rows
            if len(texts) < width:
                texts.extend([""] * (width - len(texts)))
            for column in sheets.formula_columns(header, texts) if self._refuse_formulas else ():
                self.errors.add_row(number, column, "formulas are not accepted; paste values")
            yield number, texts

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        header = self.header
        for number, texts in self.lists():
            yield number, dict(zip(header, texts, strict=True))


def _check_header(header: list[str], required: Sequence[str], optional: Sequence[str]) -> list[str]:
    header = [h.strip().lstrip("\ufeff").lower() for h in header]
    problems = []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    known = set(required) | set(optional)
    unknown = [h for h in header if h and h not in known]
    if unknown:
        problems.append("unknown column(s): " + ", ".join(unknown)
                        + "; expected " + ", ".join(list(required) + list(optional)))
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        problems.append("duplicate column(s): " + ", ".join(dupes))
    if problems:
        raise ValidationFailed("The header row does not match", {"columns": problems})
    return header


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from enumerate(sheets.xlsx_rows(content, formulas=True), start=1)
    except sheets.UnreadableFile as exc:
        raise ValidationFailed("The file is not a readable XLSX workbook",
                               {"file": [exc.detail]}) from None


def read_table(filename: str, content: bytes, required: Sequence[str],
               optional: Sequence[str] = (), refuse_formulas: bool = True) -> Table:
    """Open an uploaded CSV or XLSX (by extension or content) and check its header.

    Raises ValidationFailed for an unreadable file or a header that does not match.
    ``refuse_formulas=False`` is for files that are only computed on, never stored
    (``kaoping score compute``'s values): text such as ``=A1`` is then a plain value.
    """
    is_xlsx = filename.lower().endswith(".xlsx") or content[:2] == b"PK"
    if is_xlsx:
        rows: Iterator[tuple[int, list[Any]]] = _xlsx_rows(content)
    else:
        text = decode_csv(content)
        rows = enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
    first = next(rows, None)
    if first is None:
        raise ValidationFailed("The file is empty", {"file": ["no header row"]})
    header = _check_header([_cell_text(c) for c in first[1]], required, optional)
    return Table(header, rows, Problems(), texts_only=not is_xlsx,
                 refuse_formulas=refuse_formulas)


def export_cell(value: Any) -> Any:
    """An export cell: ``None`` → "", a list → its items joined by spaces, a boolean →
    true/false, a date → ISO 8601; text through the shared formula guard."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return guard(value)
