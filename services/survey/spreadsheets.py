"""Tables people keep in spreadsheets: read CSV/XLSX uploads, write CSV/XLSX exports.

Decoding (UTF-8 with or without BOM, else GB18030), XLSX reading and the writers are
in :mod:`shared.spreadsheets`. Exported cells that a spreadsheet would run as a
formula (``= + - @``) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from shared import spreadsheets as sheets
from shared.errors import ValidationFailed

CSV_TYPE = sheets.CSV_MIME
XLSX_TYPE = sheets.XLSX_MIME


Table = tuple[list[str], list[tuple[int, dict[str, str]]]]


def read_table(filename: str, data: bytes) -> Table:
    """Header and ``(row number, {column: text})`` of an uploaded CSV or XLSX file.

    Row numbers are the spreadsheet's (the header is row 1); blank rows are left out.
    """
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    try:
        text = sheets.decode_csv(data)
    except sheets.UnreadableFile:
        raise ValidationFailed("Unreadable file", {"file": ["not UTF-8 or GB18030 text"]}) \
            from None
    rows = list(csv.reader(io.StringIO(text)))
    return _rows(rows)


def _read_xlsx(data: bytes) -> Table:
    try:
        rows = [["" if cell is None else _cell_text(cell) for cell in row]
                for row in sheets.xlsx_rows(data, formulas=False)]
    except sheets.UnreadableFile:
        raise ValidationFailed("Unreadable file", {"file": ["not an XLSX workbook"]}) from None
    return _rows(rows)


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows(rows: list[list[str]]) -> Table:
    if not rows:
        raise ValidationFailed("Empty file", {"file": ["no header row"]})
    header = [str(h).strip() for h in rows[0]]
    out = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in row]
        if not any(cells):
            continue
        out.append((number, {name: (cells[i] if i < len(cells) else "")
                             for i, name in enumerate(header) if name}))
    return header, out


def _safe(value: Any) -> Any:
    return sheets.guard(value)


def _csv_cell(value: Any) -> Any:
    return "" if value is None else _safe(value)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return sheets.write_csv(header, rows, _csv_cell)


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    return sheets.write_xlsx(header, rows, title, _safe)


def export(fmt: str, header: Sequence[str], rows: list[Sequence[Any]], name: str):
    """A Flask response with the table as CSV or XLSX, named ``name.csv|xlsx``."""
    return sheets.export(fmt, name, header, rows, cell=_safe, csv_cell=_csv_cell)
