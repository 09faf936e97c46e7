"""shared.spreadsheets: decoding, the formula guard both ways, XLSX round trip."""

import csv
import io

import openpyxl
import pytest
from flask import Flask

from shared import spreadsheets as sheets


def test_decode_gb18030_and_bom():
    text = "乡镇,得分\n城关镇,90\n"
    assert sheets.decode_csv(text.encode("gb18030")) == text
    assert sheets.decode_csv(b"\xef\xbb\xbf" + text.encode("utf-8")) == text  # BOM dropped
    assert sheets.decode_csv(text.encode("utf-8")) == text


def test_decode_refuses_nul_only_when_asked_and_undecodable_bytes():
    utf16 = "a,b\n".encode("utf-16")
    with pytest.raises(sheets.UnreadableFile) as info:
        sheets.decode_csv(utf16, reject_nul=True)
    assert info.value.reason == "binary"
    with pytest.raises(sheets.UnreadableFile) as info:
        sheets.decode_csv(b"ok,\x81\x20")  # GB18030 lead byte followed by an invalid one
    assert info.value.reason == "encoding" and "offset 3" in info.value.detail


def test_guard_on_export():
    for text in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert sheets.guard(text) == "'" + text
    assert sheets.guard("-5") == "-5" and sheets.guard("+1.5") == "+1.5"  # numbers stay
    assert sheets.guard("-5", numbers_ok=False) == "'-5"
    assert sheets.guard("\tx", ("=", "+", "-", "@")) == "\tx"
    assert sheets.guard("plain") == "plain" and sheets.guard(3) == 3 and sheets.guard(None) is None

    body = sheets.write_csv(["name", "note"], [["=HYPERLINK(1)", "ok"], ["a", None]])
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["name", "note"], ["'=HYPERLINK(1)", "ok"], ["a", ""]]


def test_xlsx_round_trip_with_guard():
    data = sheets.write_xlsx(["单位", "score", "note"], [["城关镇", 91.5, "@x"], ["b", 7, None]],
                             title="t" * 40)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["t" * 31]
    assert list(book.worksheets[0].values) == [("单位", "score", "note"),
                                                ("城关镇", 91.5, "'@x"), ("b", 7, None)]
    # read-only mode leaves out a row's trailing empty cells
    assert list(sheets.xlsx_rows(data)) == [["单位", "score", "note"], ["城关镇", 91.5, "'@x"],
                                            ["b", 7]]


def test_formula_cells_are_seen_on_import():
    book = openpyxl.Workbook()
    book.active.append(["unit", "score"])
    book.active.append(["u1", "=SUM(1,2)"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = list(sheets.xlsx_rows(buffer.getvalue()))
    assert rows[1] == ["u1", "=SUM(1,2)"]
    assert sheets.formula_columns(["unit", "score"], ["u1", "=SUM(1,2)"]) == ["score"]
    assert sheets.formula_columns(["unit", "score"], ["u1", "3"]) == []
    # values only: an uncalculated formula has no cached value
    assert list(sheets.xlsx_rows(buffer.getvalue(), formulas=False))[1] == ["u1", None]
    with pytest.raises(sheets.UnreadableFile):
        next(sheets.xlsx_rows(b"PK not a zip"))


def test_export_response():
    app = Flask(__name__)
    with app.test_request_context():
        csv_resp = sheets.export("csv", "r", ["a"], [["=1"]])
        xlsx_resp = sheets.export("xlsx", "r", ["a"], [["=1"]], quote_filename=False)
    assert csv_resp.mimetype == "text/csv"
    assert csv_resp.headers["Content-Disposition"] == 'attachment; filename="r.csv"'
    assert csv_resp.get_data() == "\ufeffa\r\n'=1\r\n".encode()
    assert xlsx_resp.mimetype == sheets.XLSX_MIME
    assert xlsx_resp.headers["Content-Disposition"] == "attachment; filename=r.xlsx"
    assert list(sheets.xlsx_rows(xlsx_resp.get_data())) == [["a"], ["'=1"]]


def test_every_service_exports_with_the_same_formula_guard():
    """One rule for the three services' CSV/XLSX cells: text a spreadsheet would run as a
    formula (=, +, -, @, tab, CR first) gets a leading quote; text that is a number does
    not (it is no formula)."""
    from services.inspection.reports import cell as inspection_cell
    from services.scoring.spreadsheets import export_cell as scoring_cell
    from shared.spreadsheets import guard as survey_cell  # survey exports through it directly

    cases = {"=1+1": "'=1+1", "+SUM(A1)": "'+SUM(A1)", "-2+3": "'-2+3", "@cmd": "'@cmd",
             "\t=1": "'\t=1", "\r=1": "'\r=1", "-5": "-5", "+1.5": "+1.5", "plain": "plain",
             "镇": "镇"}
    for value, expected in cases.items():
        assert [cell(value) for cell in (survey_cell, inspection_cell, scoring_cell)] == \
            [expected] * 3, value


def test_xlsx_drops_the_control_characters_it_cannot_hold():
    controls = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
    body = sheets.write_xlsx(["name\x0b"], [[f"A{controls}B"], ["tab\tand\nnewline"], [5]],
                             title="t\x01itle")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet.title == "title"
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == [
        "name", "AB", "tab\tand\nnewline", 5]
