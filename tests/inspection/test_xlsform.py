"""Checklists from and to XLSForm through the API: every supported item kind imports and
round-trips (to the same items as the JSON checklist), broken workbooks name the cell."""

import io

from tests.inspection.inspection_support import CHECKLIST
from tests.shared.xlsform_support import CHOICES_HEADER, sheet_rows, workbook

ZH, EN = "label::zh-CN", "label::English (en)"
HEADER = ["type", "name", ZH, EN, "constraint", "weight", "critical", "photo_required",
          "unit", "tolerance", "tolerance_kind", "required", "hint"]
SURVEY = [
    HEADER,
    ["select_one pf", "safety.fire_exits", "消防通道畅通", "Fire exits clear", None, 2, "yes"],
    ["integer", "env.sanitation", "环境卫生", "Sanitation", ". >= 0 and . <= 10", 1],
    [],
    ["decimal", "env.trees_area", "植树面积", "Area of trees planted", None, 1, "no", "TRUE",
     "mu", 0.1, "relative", "yes", "按亩计"],
    ["text", "note", "备注", "Remarks", None, 0],
]
CHOICES = [CHOICES_HEADER, ["pf", "pass", "合格", "Pass"], ["pf", "fail", "不合格", "Fail"],
           ["pf", "na", "不适用", "N/A"]]
SETTINGS = [["form_id", "form_title", "form_title::English (en)", "critical_cap"],
            ["env-spot", "环境整治抽查", "Environment spot check", 60]]


def upload(api, content, role="planner", expect=201):
    return api.call("POST", "/checklists/xlsform", role=role, expect=expect,
                    data={"file": (io.BytesIO(content), "checklist.xlsx")},
                    content_type="multipart/form-data")


def items_of(checklist):
    return [{k: v for k, v in item.items()} for item in checklist["items"]]


def test_a_checklist_imports_round_trips_and_scores_a_visit(api):
    made = upload(api, workbook(SURVEY, CHOICES, SETTINGS))
    by_api = api.checklist(CHECKLIST)                       # the same checklist as JSON
    assert (made["code"], made["version"], by_api["version"]) == ("env-spot", 1, 2)
    assert (made["name_zh"], made["name_en"], made["critical_cap"]) == (
        "环境整治抽查", "Environment spot check", 60)
    assert items_of(made) == items_of(by_api)
    assert made["created_by"] == "test-planner"
    exported = api.call("GET", f"/checklists/{made['id']}/xlsform", role="inspector")
    assert exported.mimetype.endswith("spreadsheetml.sheet")
    survey = sheet_rows(exported.data, "survey")
    assert survey[1][:8] == ["select_one pass_fail", "safety.fire_exits", "消防通道畅通",
                             "Fire exits clear", None, "2", "yes", "no"]
    assert survey[3][8:] == ["mu", "0.1", "relative"]
    again = upload(api, exported.data)
    assert again["version"] == 3 and items_of(again) == items_of(made)
    assert again["critical_cap"] == made["critical_cap"]
    plan = api.plan(made["id"])                             # a plan can use it
    assert plan["template_id"] == made["id"]


def test_unsupported_rows_are_refused_naming_the_cell(api):
    survey = [HEADER,
              ["geopoint", "where", "位置", "Where"],
              ["note", "intro", "说明", "About"],
              ["integer", "points", "分", "Points", ". > 3"],
              ["select_one yn", "ok", "好", "OK"]]
    survey[0] = [*HEADER, "relevant"]
    survey[4] = ["text", "t", "文", "Text", *[None] * 9, "${ok} = 'yes'"]
    choices = [CHOICES_HEADER, ["yn", "yes", "是", "Yes"], ["yn", "no", "否", "No"],
               ["yn", "no", "不", "No!"]]
    errors = upload(api, workbook(survey, choices, SETTINGS), expect=422)["errors"]
    assert "geopoint is not supported in a checklist" in errors["survey!A2 (type)"][0]
    assert "note is not supported" in errors["survey!A3 (type)"][0]
    assert "maximum as the constraint" in errors["survey!E4 (constraint)"][0]
    assert "relevant is not supported" in errors["survey!N5 (relevant)"][0]
    assert "duplicate choice name 'no'" in errors["choices!B4 (name)"][0]
    assert api.call("GET", "/checklists") == []


def test_item_problems_are_named_by_cell(api):
    survey = [HEADER,
              ["select_one yn", "a", "甲", "A"],
              ["decimal", "b", "乙", "B", None, 1, "no", "no", "mu"],
              ["text", "c", "丙", None, None, 1, "yes"],
              ["text", "a", "丁", "D", None, "heavy"]]
    choices = [CHOICES_HEADER, ["yn", "yes", "是", "Yes"], ["yn", "no", "否", "No"]]
    errors = upload(api, workbook(survey, choices, [["form_id"], ["bad id!"]]),
                    expect=422)["errors"]
    assert "needs the choices pass and fail" in errors["survey!A2 (type)"][0]
    assert "needs a text in en" in errors["survey!D4 (label::English (en))"][0]
    assert "'heavy' is not a number" in errors["survey!F5 (weight)"][0]
    fixed = [HEADER, ["decimal", "b", "乙", "B", None, 1, "no", "no", "mu"],
             ["text", "c", "丙", "C", None, 1, "yes"], ["text", "c", "丁", "D"]]
    errors = upload(api, workbook(fixed, None, [["form_id", "form_title"], ["bad id!", "名"]]),
                    expect=422)["errors"]
    assert "required for a measurement item" in errors["survey!J2 (tolerance)"][0]
    assert "cannot be critical" in errors["survey!G3 (critical)"][0]
    assert "duplicate item id 'c'" in errors["survey!B4 (name)"][0]
    assert "settings!A2 (form_id)" in errors
    upload(api, workbook(SURVEY, CHOICES, SETTINGS), role="inspector", expect=403)


def test_pyxform_checks_what_the_mapping_accepts(api):
    survey = [HEADER, ["text", "2fire", "火", "Fire", None, 1]]      # no XML name
    errors = upload(api, workbook(survey, None, SETTINGS), expect=422)["errors"]
    assert list(errors) == ["survey!B2 (name)"]
    assert errors["survey!B2 (name)"][0].startswith("pyxform: ")
    assert "Names must begin with a letter" in errors["survey!B2 (name)"][0]


def test_a_retried_upload_with_its_key_makes_one_version(api):
    content = workbook(SURVEY, CHOICES, SETTINGS)

    def send():
        return api.client.post("/api/v1/checklists/xlsform",
                               headers={**api.auth("planner"), "Idempotency-Key": "k-1"},
                               data={"file": (io.BytesIO(content), "c.xlsx")},
                               content_type="multipart/form-data")

    first, again = send(), send()
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert [c["version"] for c in api.call("GET", "/checklists")] == [1]
