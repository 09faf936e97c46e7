"""CSV and XLSX in and out, for everything people keep in spreadsheets.

Reading: CSV as UTF-8 (with or without BOM), else GB18030 (a superset of the GBK
that Chinese Excel writes); XLSX with openpyxl. Formula cells are refused (a value
that starts with ``=`` in a CSV, a formula cell in XLSX). The header must name the
required columns and nothing unknown. Problems are collected per row and column in
:class:`RowErrors`, whose ``raise_if_any`` ends an all-or-nothing import with a 422.

Writing: CSV (UTF-8 with BOM, so that Excel opens it right) and XLSX; text that a
spreadsheet would take for a formula (``= + - @``, tab, CR) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from shared.errors import DomainError, ValidationFailed

MAX_LISTED_ROWS = 100
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RowErrors:
    """Errors of an import keyed ``"row N"`` → ``{column: [reasons]}``."""

    def __init__(self) -> None:
        self.errors: dict[str, dict[str, list[str]]] = {}
        self.count = 0

    def add(self, row: int | str, column: str, reason: str) -> None:
        """Note a problem; ``row`` is a sheet row number or a label like ``items[2]``."""
        self.count += 1
        key = f"row {row}" if isinstance(row, int) else row
        if key not in self.errors and len(self.errors) >= MAX_LISTED_ROWS:
            return
        self.errors.setdefault(key, {}).setdefault(column, []).append(reason)

    def merge(self, other: RowErrors) -> None:
        """Add another collection's problems (its count included, listed or not)."""
        listed = 0
        for key, columns in other.errors.items():
            for column, reasons in columns.items():
                for reason in reasons:
                    self.add(key, column, reason)
                    listed += 1
        self.count += other.count - listed

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self, what: str = "import", error: type[DomainError] = ValidationFailed,
                     outcome: str = "nothing was imported") -> None:
        """Raise ``error`` (default 422) listing the rows, when there is any problem."""
        if not self.count:
            return
        rows = len(self.errors)
        more = f" (first {MAX_LISTED_ROWS} rows listed)" if rows >= MAX_LISTED_ROWS else ""
        raise error(f"{what}: {self.count} problem(s); {outcome}{more}", self.errors)


def decode_csv(content: bytes) -> str:
    """UTF-8 (BOM optional), else GB18030; raise ValidationFailed for anything else."""
    if b"\x00" in content:
        raise ValidationFailed("The file is not text in UTF-8 or GBK/GB18030",
                               {"file": ["binary data or UTF-16 is not accepted; save as "
                                         "CSV UTF-8 or CSV (GBK)"]})
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file is not text in UTF-8 or GBK/GB18030",
                               {"file": [f"undecodable bytes at offset {exc.start}"]}) from None


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
    """Rows of an uploaded sheet as ``(row_number, {column: text})``; text is stripped."""

    def __init__(self, header: list[str], rows: Iterator[tuple[int, list[Any]]],
                 errors: RowErrors, texts_only: bool = False):
        self.header = header
        self._rows = rows
        self.errors = errors
        self._texts_only = texts_only  # CSV cells are str already: the fast path

    def lists(self) -> Iterator[tuple[int, list[str]]]:
        """Rows as lists of stripped text in header order (blank rows skipped); formula
        cells are noted as errors."""
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
            if "=" in "\x00".join(texts):
                for column, text in zip(header, texts, strict=True):
                    if text.startswith("="):
                        self.errors.add(number, column, "formulas are not accepted; paste values")
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
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # any parse failure is the uploader's file, not our error
        raise ValidationFailed("The file is not a readable XLSX workbook",
                               {"file": [exc.__class__.__name__]}) from None
    sheet = workbook.worksheets[0]
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        values = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                values.append("=" + str(cell.value).lstrip("="))
            else:
                values.append(cell.value)
        yield number, values
    workbook.close()


def read_table(filename: str, content: bytes, required: Sequence[str],
               optional: Sequence[str] = (), errors: RowErrors | None = None) -> Table:
    """Open an uploaded CSV or XLSX (by extension or content) and check its header.

    Raises ValidationFailed for an unreadable file or a header that does not match.
    """
    errors = errors or RowErrors()
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
    return Table(header, rows, errors, texts_only=not is_xlsx)


def guard(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return guard(value)


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_plain(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "data") -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_plain(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(fmt: str, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]):
    """A Flask response with the rows as ``csv`` or ``xlsx``, named ``name.<fmt>``."""
    from flask import Response

    if fmt == "xlsx":
        body, mime = write_xlsx(columns, rows, name), XLSX_MIME
    else:
        body, mime = write_csv(columns, rows), "text/csv; charset=utf-8"
    return Response(body, mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def uploaded_file() -> tuple[str, bytes]:
    """The request's ``file`` part (multipart) or raw body; raise ValidationFailed if none."""
    from flask import request

    upload = request.files.get("file")
    if upload is not None:
        return upload.filename or "upload.csv", upload.read()
    content = request.get_data()
    if not content:
        raise ValidationFailed("No file uploaded", {"file": ["send a multipart 'file' part"]})
    kind = request.mimetype or ""
    return ("upload.xlsx" if "spreadsheetml" in kind else "upload.csv"), content
