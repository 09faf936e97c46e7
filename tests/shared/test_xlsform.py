"""shared.xlsform: cells named as a person sees them, texts by language, flags, numbers,
text that is no formula, unreadable uploads."""

import pytest

from shared import xlsform
from shared.errors import Problems, ValidationFailed
from tests.shared.xlsform_support import sheet_rows, workbook


def test_rows_keep_their_sheet_row_numbers_and_column_letters():
    content = workbook([["type", None, "name", "label"], ["text", None, "a", "甲"], [],
                        ["integer", None, "b", "乙"]], settings=[["form_id"], ["X"]])
    book = xlsform.read_workbook(content)
    assert [row for row, _ in book.survey.rows] == [2, 4]
    assert book.survey.cell(4, "name") == "survey!C4 (name)"
    assert book.survey.cell(None, "name") == "survey (name)"
    assert book.survey.cell(2, "relevant") == "survey (relevant)"      # no such column
    assert book.setting("form_id") == "X" and book.choices.rows == []


def test_texts_by_language_with_the_plain_label_for_a_missing_one():
    sheet = xlsform.Sheet("survey", letters={"label::English (en)": "D"})
    problems = Problems()
    assert xlsform.texts(sheet, 3, {"label::zh-CN": "甲", "label": "A"}, problems) == {
        "zh-CN": "甲", "en": "A"}
    assert xlsform.texts(sheet, 3, {"label::zh-CN": "甲"}, problems) is None
    assert problems.errors == {"survey!D3 (label::English (en))": [
        "needs a text in en (label::zh-CN and label::English (en), or label)"]}


def test_flags_and_numbers():
    sheet, problems = xlsform.Sheet("survey", letters={"required": "E", "weight": "F"}), \
        Problems()
    assert xlsform.flag(sheet, 2, {"required": "TRUE"}, "required", problems) is True
    assert xlsform.flag(sheet, 2, {"required": "no"}, "required", problems) is False
    assert xlsform.flag(sheet, 2, {}, "required", problems, default=True) is True
    assert xlsform.flag(sheet, 2, {"required": "${a} = 1"}, "required", problems) is False
    assert xlsform.number(sheet, 2, {"weight": "2.5"}, "weight", problems) == 2.5
    assert xlsform.number(sheet, 2, {"weight": "x"}, "weight", problems) is None
    for odd in ("inf", "nan", "1e400"):
        assert xlsform.number(sheet, 3, {"weight": odd}, "weight", problems) is None
    assert set(problems.errors) == {"survey!E2 (required)", "survey!F2 (weight)",
                                    "survey!F3 (weight)"}
    assert [xlsform.number_text(v) for v in (3.0, 0.1, -2.5, 1e-05, 1e20)] == [
        "3", "0.1", "-2.5", "0.00001", "100000000000000000000"]


def test_written_text_stays_text_even_when_it_starts_with_equals():
    content = xlsform.write_workbook({"survey": (["type", "relevant"],
                                                 [["text", "= 'x'"], ["note", None]])})
    assert sheet_rows(content, "survey") == [["type", "relevant"], ["text", "= 'x'"],
                                             ["note", None]]


def test_unreadable_uploads_name_the_file():
    with pytest.raises(ValidationFailed) as info:
        xlsform.read_workbook(b"PK\x03\x04 broken zip")
    assert "file" in info.value.errors
    with pytest.raises(ValidationFailed) as info:
        xlsform.read_workbook(xlsform.write_workbook({"data": (["x"], [[1]]),
                                                      "settings": (["form_id"], [["X"]])}))
    assert info.value.errors == {"file": ["the workbook has no sheet named 'survey'"]}
