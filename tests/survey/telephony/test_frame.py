"""Sampling frames: numbers to E.164, rows checked and reported by row and column, XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from services.survey.telephony.frame import normalise_number, parse_frame, read_rows


@pytest.mark.parametrize("raw,e164", [("139 0001 0001", "+8613900010001"),
                                      ("+86 574 8888 0000", "+8657488880000"),
                                      ("0574-88880000", "+8657488880000")])
def test_numbers_are_normalised_to_e164(raw, e164):
    assert normalise_number(raw) == e164


def test_frame_rows_are_checked_and_reported_by_row_and_column():
    content = "电话,乡镇,分层\n13900010001,T01,A\n12345,T01,\n13900010001,T02,\n139000100x2,T09,\n"
    rows = read_rows("f.csv", content.encode("gb18030"))
    entries, problems = parse_frame(rows, townships={"T01", "T02"})
    errors = problems.errors
    assert [e.e164 for e in entries] == ["+8613900010001"]
    assert set(errors) == {"row 3", "row 4", "row 5"}
    assert "duplicate of row 2" in errors["row 4"]["phone"][0]
    assert set(errors["row 5"]) == {"township", "phone"}


def test_frame_reads_xlsx():
    book = Workbook()
    book.active.append(["phone", "township"])
    book.active.append([13900010001, "T01"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_rows("f.xlsx", buffer.getvalue()) == [{"phone": "13900010001",
                                                       "township": "T01"}]
