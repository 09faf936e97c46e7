"""A planner's polls through the real survey service: a poll made from a questionnaire
version, web links issued as CSV and as a printable sheet of QR codes (each code is the
link's), paper forms imported (and a broken file refused with its row and column)."""

import csv
import io
import re
from urllib.parse import urlsplit

import requests

from services.portal.polls import qr_svg
from tests.portal.county import PAPER
from tests.portal.portal_support import csrf_token, person_token, sign_in, tables


def planner(app, make_person):
    make_person("plan1", "planner")
    client = app.test_client()
    sign_in(client, "plan1")
    return client


def post(client, page, data, action=None, **kwargs):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data}, **kwargs)


def test_a_poll_from_a_questionnaire_version(county_portal, county, make_person):
    client = planner(county_portal, make_person)
    page = client.get("/polls/").get_data(as_text=True)
    listed = [row[0] for row in tables(page)["polls"][1:]]
    assert listed == [f"#{county.ids['poll']} 乡镇满意度调查"]
    questionnaire = requests.get(f"{county.survey_url}/api/v1/questionnaires",
                                 headers=person_token("plan1", "planner"), timeout=10).json()[0]
    made = post(client, "/polls/", {
        "questionnaire_id": questionnaire["id"], "name_zh": "年末满意度", "name_en": "Year-end",
        "modes": ["web", "paper"], "field_start": "2026-12-01", "field_end": "2026-12-31",
        "townships": ["T01", "T03"], "target": "25", "stop_at_quota": "y"})
    assert made.status_code == 302, made.get_data(as_text=True)
    poll_id = int(made.location.rstrip("/").rsplit("/", 1)[1])
    stored = requests.get(f"{county.survey_url}/api/v1/polls/{poll_id}",
                          headers=person_token("plan1", "planner"), timeout=10).json()
    assert stored["questionnaire_id"] == questionnaire["id"] and stored["status"] == "draft"
    assert stored["modes"] == ["web", "paper"] and stored["stop_at_quota"] is True
    assert stored["townships"] == [{"code": "T01", "target_completes": 25},
                                   {"code": "T03", "target_completes": 25}]
    assert post(client, f"/polls/{poll_id}", {}, action=f"/polls/{poll_id}/open").status_code == 302
    page = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "调查中" in page and "生成链接" in page


def test_an_empty_poll_form_is_refused_beside_its_fields(county_portal, county, make_person):
    client = planner(county_portal, make_person)
    page = post(client, "/polls/", {"name_zh": "", "target": "x"}).get_data(as_text=True)
    assert page.count('aria-invalid="true"') >= 2 and "此项必填。" in page


def test_links_as_csv_and_as_a_sheet_of_qr_codes(county_portal, county, make_person):
    client = planner(county_portal, make_person)
    poll = county.ids["poll"]
    answer = post(client, f"/polls/{poll}", {"links-township": "T02", "links-count": "3",
                                            "links-output": "csv"}, action=f"/polls/{poll}/links")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3 and {row["township"] for row in rows} == {"T02"}
    assert len({row["url"] for row in rows}) == 3
    for row in rows:             # each link opens the poll's page (at the served survey app)
        path = urlsplit(row["url"]).path
        assert requests.get(f"{county.survey_url}{path}", timeout=10).status_code == 200
    sheet = post(client, f"/polls/{poll}", {"links-township": "T01", "links-count": "2",
                                           "links-output": "sheet"}, action=f"/polls/{poll}/links")
    html = sheet.get_data(as_text=True)
    urls = re.findall(r'<p class="qr-url">([^<]+)</p>', html)
    assert len(urls) == 2 and html.count("<svg") == 2 and "乡镇 T01" in html
    for url in urls:
        assert qr_svg(url) in html                      # the code printed is the link's
    assert ' style="' not in html                       # the CSP allows no inline style
    every = post(client, f"/polls/{poll}", {"links-township": "*", "links-count": "2",
                                           "links-output": "sheet"}, action=f"/polls/{poll}/links")
    html = every.get_data(as_text=True)                 # a sheet per township of the poll
    assert re.findall(r'<h2 id="sheet-(\w+)">', html) == ["T01", "T02"]
    assert html.count('class="qr-card"') == 4


def test_paper_forms_imported_and_a_broken_file_refused(county_portal, county, make_person):
    client = planner(county_portal, make_person)
    poll = county.ids["poll"]
    forms = PAPER.replace("P001", "P101").replace("P002", "P102").replace("P003", "P103")
    done = post(client, f"/polls/{poll}", {"paper-file": (io.BytesIO(forms.encode()), "f.csv")},
                action=f"/polls/{poll}/paper", content_type="multipart/form-data")
    assert done.status_code == 302
    assert "已导入 3 份纸质问卷" in client.get(done.location).get_data(as_text=True)
    broken = "form_id,township,sex,age,sat\nP201,T01,1,2,4\nP202,T01,9,2,4\n"
    refused = post(client, f"/polls/{poll}", {"paper-file": (io.BytesIO(broken.encode()),
                                                             "f.csv")},
                   action=f"/polls/{poll}/paper", content_type="multipart/form-data")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "row 3 · sex" in html
    responses = requests.get(f"{county.survey_url}/api/v1/polls/{poll}/responses",
                             headers=person_token("plan1", "planner"), timeout=10)
    assert "P201" not in responses.text                # all or nothing


def test_an_analyst_reads_polls_but_issues_nothing(county_portal, county, make_person):
    make_person("ana1", "analyst")
    client = county_portal.test_client()
    sign_in(client, "ana1")
    page = client.get(f"/polls/{county.ids['poll']}").get_data(as_text=True)
    assert "生成链接" not in page and "新建调查" not in client.get("/polls/").get_data(as_text=True)
    token = csrf_token(page)
    assert client.post(f"/polls/{county.ids['poll']}/links",
                       data={"csrf_token": token}).status_code == 403
