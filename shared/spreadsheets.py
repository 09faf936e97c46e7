"""CSV and XLSX in and out, shared by the services.

Reading: :func:`decode_csv` takes UTF-8 (with or without BOM), else GB18030 (a
superset of the GBK that Chinese Excel writes); :func:`xlsx_rows` reads the first
sheet with openpyxl in read-only mode. With ``formulas=True`` a formula cell comes
back as its ``=...`` text, so that :func:`formula_columns` can refuse it on import.
Both raise :class:`UnreadableFile`, which each service turns into its own error.

Writing: :func:`write_csv` (UTF-8 with BOM, so that Excel opens it right, CRLF) and
:func:`write_xlsx`; each cell goes through a ``cell`` function, by default
:func:`guard`, which prefixes text that a spreadsheet would run as a formula
(``= + - @``, tab, CR) with ``'``. :func:`export` is the Flask response for
``?format=csv|xlsx``. XLSX cannot hold the C0 control characters other than tab, LF
and CR: :func:`write_xlsx` drops them from text (a name with U+000B still exports).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What an XLSX cell (XML 1.0) cannot hold: C0 controls but tab, LF, CR (openpyxl's rule).
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableFile(ValueError):
    """An upload that is not UTF-8/GB18030 text or not an XLSX workbook."""

    def __init__(self, reason: str, detail: str):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def decode_csv(content: bytes, *, reject_nul: bool = False) -> str:
    """UTF-8 (BOM optional), else GB18030; raise :class:`UnreadableFile` otherwise.

    ``reject_nul`` refuses NUL bytes (binary data, UTF-16) before trying to decode.
    """
    if reject_nul and b"\x00" in content:
        raise UnreadableFile("binary", "binary data or UTF-16 is not accepted; save as "
                             "CSV UTF-8 or CSV (GBK)")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("encoding", f"undecodable bytes at offset {exc.start}") from None


def xlsx_rows(content: bytes, *, formulas: bool = True,
              active: bool = False) -> Iterator[list[Any]]:
    """The first sheet's (``active``: the active sheet's) rows as lists of raw cell
    values (read-only mode).

    With ``formulas`` a formula cell is its text ``"=..."``; without, its cached value
    (``None`` when the file was never calculated). The workbook is opened at the first
    ``next()``; :class:`UnreadableFile` is raised then for a file openpyxl cannot read.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True,
                                          data_only=not formulas)
    except Exception as exc:  # any parse failure is the uploader's file, not our error
        raise UnreadableFile("xlsx", exc.__class__.__name__) from None
    try:
        sheet = workbook.active if active else workbook.worksheets[0]
        if not formulas:
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
            return
        for cells in sheet.iter_rows():
            yield [("=" + str(cell.value).lstrip("="))
                   if getattr(cell, "data_type", None) == "f" else cell.value
                   for cell in cells]
    finally:
        workbook.close()


def formula_columns(header: Sequence[str], texts: Sequence[str]) -> list[str]:
    """The columns whose text is a formula (starts with ``=``), to refuse on import."""
    if "=" not in "\x00".join(texts):
        return []
    return [column for column, text in zip(header, texts, strict=False) if text.startswith("=")]


def guard(value: Any, prefixes: tuple[str, ...] = FORMULA_PREFIXES,
          numbers_ok: bool = True) -> Any:
    """Prefix text that a spreadsheet would run as a formula with ``'``.

    With ``numbers_ok`` text that is a number (``"-5"``, ``"+1.5"``) is left alone.
    """
    if isinstance(value, str) and value.startswith(prefixes):
        if numbers_ok:
            try:
                float(value)
                return value
            except ValueError:
                pass
        return "'" + value
    return value


Cell = Callable[[Any], Any]


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], cell: Cell = guard) -> bytes:
    """UTF-8 with BOM, CRLF line ends; each value passed through ``cell``."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_text(value: Any) -> Any:
    """Text without the control characters XLSX cannot hold; other values as they are."""
    return XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value


def write_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "data",
               cell: Cell = guard) -> bytes:
    """One sheet named ``title`` (cut to Excel's 31 characters); values through ``cell``,
    then :func:`xlsx_text`."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(xlsx_text(title)[:31])
    sheet.append([xlsx_text(c) for c in columns])
    for row in rows:
        sheet.append([xlsx_text(cell(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(fmt: str, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
           cell: Cell = guard, csv_cell: Cell | None = None, quote_filename: bool = True):
    """A Flask response with the rows as ``csv`` or ``xlsx``, named ``name.<fmt>``.

    ``csv_cell`` (default ``cell``) is for CSV only, where e.g. ``None`` must be ``""``.
    """
    from flask import Response

    if fmt == "xlsx":
        body, mime = write_xlsx(columns, rows, name, cell), XLSX_MIME
    else:
        fmt = "csv"
        body, mime = write_csv(columns, rows, csv_cell or cell), CSV_MIME
    filename = f'"{name}.{fmt}"' if quote_filename else f"{name}.{fmt}"
    return Response(body, mimetype=mime,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def uploaded_file() -> tuple[str, bytes]:
    """The request's ``file`` part (multipart) or raw body; raise ValidationFailed if none."""
    from flask import request

    from shared.errors import ValidationFailed

    upload = request.files.get("file")
    if upload is not None:
        return upload.filename or "upload.csv", upload.read()
    content = request.get_data()
    if not content:
        raise ValidationFailed("No file uploaded", {"file": ["send a multipart 'file' part"]})
    kind = request.mimetype or ""
    return ("upload.xlsx" if "spreadsheetml" in kind else "upload.csv"), content
