"""Tables people keep in spreadsheets: read CSV/XLSX uploads, write CSV/XLSX exports.

CSV is read as UTF-8 (with or without BOM), falling back to GB18030. Exported cells
that a spreadsheet would run as a formula (``= + - @``) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

from shared.errors import ValidationFailed

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


Table = tuple[list[str], list[tuple[int, dict[str, str]]]]


def read_table(filename: str, data: bytes) -> Table:
    """Header and ``(row number, {column: text})`` of an uploaded CSV or XLSX file.

    Row numbers are the spreadsheet's (the header is row 1); blank rows are left out.
    """
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed("Unreadable file", {"file": ["not UTF-8 or GB18030 text"]})
    rows = list(csv.reader(io.StringIO(text)))
    return _rows(rows)


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ValidationFailed("Unreadable file", {"file": ["not an XLSX workbook"]}) from None
    sheet = workbook.worksheets[0]
    rows = [["" if cell is None else _cell_text(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)]
    workbook.close()
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
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(fmt: str, header: Sequence[str], rows: list[Sequence[Any]], name: str):
    """A Flask response with the table as CSV or XLSX, named ``name.csv|xlsx``."""
    from flask import Response

    if fmt == "xlsx":
        body, mimetype = write_xlsx(header, rows, name), XLSX_TYPE
    else:
        body, mimetype = write_csv(header, rows), CSV_TYPE
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
