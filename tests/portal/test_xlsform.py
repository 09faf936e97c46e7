"""The planner's XLSForm page: upload a questionnaire or a checklist through the real
services, see a broken workbook's problems by sheet, cell and column, download any
version as a workbook; only planners (and admins) open it."""

import io
import re

from services.portal.xlsform import cell_problems
from tests.inspection.test_xlsform import CHOICES as CHECKLIST_CHOICES
from tests.inspection.test_xlsform import SETTINGS as CHECKLIST_SETTINGS
from tests.inspection.test_xlsform import SURVEY as CHECKLIST_SURVEY
from tests.portal.portal_support import csrf_token, home, tables
from tests.shared.xlsform_support import (
    CHOICES_HEADER,
    FULL_CHOICES,
    FULL_SETTINGS,
    FULL_SURVEY,
    SURVEY_HEADER,
    sheet_rows,
    workbook,
)


def send(client, kind, content, name="form.xlsx", key=None, follow=True):
    page = client.get("/xlsform").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "kind": kind,
            "workbook": (io.BytesIO(content), name)}
    if key:
        data["key"] = key
    return client.post("/xlsform", data=data, content_type="multipart/form-data",
                       follow_redirects=follow)


def test_a_planner_imports_and_downloads_questionnaires_and_checklists(county_portal,
                                                                      make_person):
    client, _tables, html = home(county_portal, make_person, "plan1", "planner")
    assert 'href="/xlsform"' in html
    content = workbook(FULL_SURVEY, FULL_CHOICES, FULL_SETTINGS)
    done = send(client, "questionnaire", content, key="fixed-key")
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "已导入 TOWN_SAT，第 1 版。" in page
    again = send(client, "questionnaire", content, key="fixed-key")   # the same post again
    assert "已导入 TOWN_SAT，第 1 版。" in again.get_data(as_text=True)
    rows = tables(page)["questionnaires"]
    assert ["TOWN_SAT", "1", "乡镇满意度", "下载 .xlsx"] in rows
    assert sum(1 for row in rows if row[0] == "TOWN_SAT") == 1
    ids = re.findall(r'<tr data-id="(\d+)">\s*<th scope="row">TOWN_SAT</th>', page)
    download = client.get(f"/xlsform/questionnaire/{ids[0]}.xlsx")
    assert download.status_code == 200
    assert 'filename="TOWN_SAT-v1.xlsx"' in download.headers["Content-Disposition"]
    assert ["integer", "years"] == sheet_rows(download.data, "survey")[4][:2]

    checklist = send(client, "checklist",
                     workbook(CHECKLIST_SURVEY, CHECKLIST_CHOICES, CHECKLIST_SETTINGS))
    assert "已导入 env-spot" in checklist.get_data(as_text=True)
    checklists = tables(checklist.get_data(as_text=True))["checklists"]
    newest = [row for row in checklists if row[0] == "env-spot"][0]
    assert newest[1] == "2"                        # the county's env-spot was version 1
    made = re.findall(r'href="/xlsform/checklist/(\d+)\.xlsx"', checklist.get_data(as_text=True))
    assert all(client.get(f"/xlsform/checklist/{i}.xlsx").status_code == 200 for i in made)


def test_a_broken_workbook_shows_each_problem_by_sheet_cell_and_column(county_portal,
                                                                       make_person):
    client, _tables, _html = home(county_portal, make_person, "plan2", "planner")
    survey = [SURVEY_HEADER, ["geopoint", "where", "位置", "Where"],
              ["select_one nope", "q", "问", "Q", "yes", "${where} = 'x'"]]
    refused = send(client, "questionnaire",
                   workbook(survey, [CHOICES_HEADER], FULL_SETTINGS))
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "未导入任何内容：This XLSForm cannot be imported" in html
    problems = tables(html)["problems"]
    assert problems[0] == ["工作表", "单元格", "列", "问题"]
    assert problems[1][:3] == ["survey", "A2", "type"]
    assert "geopoint is not supported" in problems[1][3]
    assert problems[2][:3] == ["survey", "A3", "type"]
    assert "choice list 'nope' is not on the choices sheet" in problems[2][3]
    not_xlsx = send(client, "questionnaire", b"a,b\n", name="form.csv")
    assert "请选择 .xlsx 工作簿。" in not_xlsx.get_data(as_text=True)
    county_questionnaire = re.findall(r'href="/xlsform/questionnaire/(\d+)\.xlsx"', html)[0]
    refused_export = client.get(f"/xlsform/questionnaire/{county_questionnaire}.xlsx",
                                follow_redirects=True)
    assert "此版本无法导出为 XLSForm" in refused_export.get_data(as_text=True)


def test_only_planners_open_the_page(county_portal, make_person):
    client, _tables, html = home(county_portal, make_person, "ana1", "analyst")
    assert 'href="/xlsform"' not in html
    assert client.get("/xlsform").status_code == 403
    assert client.get("/xlsform/questionnaire/1.xlsx").status_code == 403
    assert county_portal.test_client().get("/xlsform").status_code == 302    # sign in first


def test_cell_names_become_rows_in_sheet_order():
    rows = cell_problems({"survey!B7 (type)": ["x"], "choices!B2 (name)": ["y"],
                          "settings (form_id)": ["z"], "survey!A10 (name)": ["w"],
                          "xlsform": ["v"]})
    assert [(r["sheet"], r["cell"], r["header"]) for r in rows] == [
        ("settings", "", "form_id"), ("survey", "B7", "type"), ("survey", "A10", "name"),
        ("choices", "B2", "name"), ("xlsform", "", "")]
