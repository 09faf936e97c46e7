"""Sampling frames: read CSV/XLSX rows, normalise numbers to E.164, report row errors.

Columns: ``phone`` (required), ``township`` (required), ``stratum`` (optional). Header
names are matched case-insensitively, with the Chinese headers 电话/号码, 乡镇 and 分层
accepted too. Numbers are parsed with ``phonenumbers`` (default region CN) and must be
valid for their region; duplicates within the file (same E.164) are reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from shared import spreadsheets as sheets
from shared.errors import Problems
from shared.phone_vault import normalise_number

HEADERS = {
    "phone": ("phone", "number", "phone_number", "电话", "号码", "电话号码"),
    "township": ("township", "乡镇", "乡镇代码"),
    "stratum": ("stratum", "分层", "层"),
}


class FrameError(ValueError):
    """A frame that cannot be read at all (format, missing columns)."""

    def __init__(self, message: str, errors: dict):
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class FrameEntry:
    row: int
    e164: str
    township: str
    stratum: str | None


def _decode(content: bytes) -> str:
    try:
        return sheets.decode_csv(content)
    except sheets.UnreadableFile:
        raise FrameError("The file is neither UTF-8 nor GB18030 text",
                         {"file": ["unreadable encoding"]}) from None


def read_rows(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX file as dicts keyed by the canonical column names."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            table = [["" if v is None else str(v) for v in row]
                     for row in sheets.xlsx_rows(content, formulas=False,
                                                          active=True)]
        except sheets.UnreadableFile:
            raise FrameError("Not a readable XLSX workbook", {"file": ["unreadable XLSX"]}) \
                from None
    else:
        table = list(csv.reader(io.StringIO(_decode(content))))
    if not table:
        raise FrameError("The file is empty", {"file": ["no rows"]})
    header = [h.strip().lower() for h in table[0]]
    columns: dict[str, int] = {}
    for name, aliases in HEADERS.items():
        for i, h in enumerate(header):
            if h in aliases:
                columns[name] = i
                break
    missing = [n for n in ("phone", "township") if n not in columns]
    if missing:
        raise FrameError("Missing columns", {"header": [f"needs column {n}" for n in missing]})
    rows = []
    for line in table[1:]:
        if not any(cell.strip() for cell in line):
            continue
        rows.append({name: (line[i].strip() if i < len(line) else "")
                     for name, i in columns.items()})
    return rows


def parse_frame(rows: list[dict[str, str]], *, townships: set[str] | None = None,
                region: str = "CN") -> tuple[list[FrameEntry], Problems]:
    """Validate every row; return the entries and the problems (every row listed as
    ``{"row N": {column: [reasons]}}``).

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    entries: list[FrameEntry] = []
    problems = Problems(max_rows=max(len(rows), 1))
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        before = problems.count
        township = row.get("township", "")
        if not township:
            problems.add_row(index, "township", "required / 必填")
        elif townships is not None and township not in townships:
            problems.add_row(index, "township", f"{township} is not in the poll / 不在本次调查范围")
        try:
            e164 = normalise_number(row.get("phone", ""), region)
        except ValueError as exc:
            problems.add_row(index, "phone", str(exc))
            e164 = None
        if e164 and e164 in seen:
            problems.add_row(index, "phone",
                             f"duplicate of row {seen[e164]} / 与第{seen[e164]}行重复")
        if problems.count > before:
            continue
        seen[e164] = index
        entries.append(FrameEntry(index, e164, township, row.get("stratum") or None))
    return entries, problems
