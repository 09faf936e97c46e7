"""XLSForm workbooks built in the tests with openpyxl: ``workbook(survey, choices,
settings)``, each a list of rows whose first row is the header."""

import io

import openpyxl

ZH, EN = "label::zh-CN", "label::English (en)"
SURVEY_HEADER = ["type", "name", ZH, EN, "required", "relevant", "constraint", "hint",
                 "label"]
CHOICES_HEADER = ["list_name", "name", ZH, EN]


def workbook(survey, choices=None, settings=None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is None:
            continue
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_rows(content: bytes, name: str) -> list[list]:
    """A sheet of a workbook as lists of cell values (header first)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in book[name].iter_rows(values_only=True)]


# A questionnaire with every construct the import supports: the introduction note,
# select_one (names that are codes, and names that are words), select_multiple,
# integer and decimal with their range, text with a length, required yes/no/blank,
# a plain label, relevant with =, !=, selected(), comparisons, '' tests, and/or/not and
# parentheses, metadata rows, a hint (read past) and a blank row.
FULL_SURVEY = [
    SURVEY_HEADER,
    ["start", "start"],
    ["note", "welcome", "欢迎参加满意度调查", "Welcome to the satisfaction survey"],
    ["select_one sex", "sex", "您的性别", "Your sex", "yes"],
    ["select_one yn", "resident", "您是本地居民吗", "Do you live here?", "true", "", "",
     "请选择"],
    [],
    ["integer", "years", "您在本地居住了多少年", "Years living here", "yes",
     "${resident} = 'yes'", ". >= 0 and . <= 100"],
    ["select_multiple services", "services", "您用过哪些服务", "Services used", "yes"],
    ["decimal", "spend", "每月交通花费(元)", "Monthly transport spend (yuan)", "no",
     "selected(${services}, '3') and ${years} >= 2", ". >= 0 and . <= 5000.5"],
    ["text", "transport_note", "交通方面的意见", "Comments on transport", "no",
     "selected(${services}, '3') or (${resident} != 'yes' and not(${years} > 50))",
     "string-length(.) <= 200"],
    ["select_one sat", "sat", "总体满意度", "Overall satisfaction", "yes",
     "${spend} = '' or ${spend} < 100"],
    ["text", "why", "请说明原因", "Why?", "", "${sat} != '4' and ${transport_note} != ''"],
    ["text", "last", None, None, "no", None, None, None, "其他建议 / Other suggestions"],
    ["end", "end"],
]
FULL_CHOICES = [
    CHOICES_HEADER,
    ["sex", "1", "男", "Male"],
    ["sex", "2", "女", "Female"],
    ["yn", "yes", "是", "Yes"],
    ["yn", "no", "否", "No"],
    ["services", "1", "医疗", "Health"],
    ["services", "2", "教育", "Education"],
    ["services", "3", "交通", "Transport"],
    ["sat", "1", "不满意", "Dissatisfied"],
    ["sat", "2", "一般", "So-so"],
    ["sat", "4", "满意", "Satisfied"],
]
FULL_SETTINGS = [["form_id", "form_title", "form_title::English (en)", "version"],
                 ["TOWN_SAT", "乡镇满意度", "Township satisfaction", "7"]]
