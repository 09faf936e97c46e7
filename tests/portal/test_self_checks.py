"""A unit's self-check pages: the month's sheet (unit of measure, last month's value, the
accepted range), the API's 422 and 409 beside the fields in the person's language with
the form refilled, a correction with its reason and the version history, a repeated post
saved once, another unit refused, and the month as a spreadsheet with its row errors."""

import io
import re
from datetime import timedelta

import requests

from shared.config import county_today
from tests.portal.portal_support import csrf_token, person_token, post_form, sign_in, tables

TODAY = county_today()
MONTH = TODAY.strftime("%Y-%m")
LAST = (TODAY.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def signed_in(app, make_person, username="unit2", unit="T02", role="unit"):
    make_person(username, role, unit)
    client = app.test_client()
    sign_in(client, username)
    return client


def fieldset(html: str, indicator: str) -> str:
    found = re.search(rf'<fieldset class="indicator" id="ind-{indicator}".*?</fieldset>', html,
                      re.S)
    assert found, indicator
    return found.group(0)


def fact(block: str, name: str) -> str:
    return " ".join(re.search(rf'<dd class="{name}">(.*?)</dd>', block, re.S).group(1).split())


def history(unit, username):
    return requests.get(f"{COUNTY['url']}/api/v1/self-checks/history",
                        params={"unit": unit, "period": MONTH},
                        headers=person_token(username, "unit", unit), timeout=10).json()


COUNTY: dict = {}


def test_the_month_shows_each_indicator_with_unit_last_month_and_range(county_portal,
                                                                       make_person):
    client = signed_in(county_portal, make_person, "unit1", "T01")
    html = client.get(f"/units/T01/self-checks?period={MONTH}").get_data(as_text=True)
    rate, delta = fieldset(html, "sc_rate"), fieldset(html, "sc_delta")
    assert fact(rate, "uom") == "%" and fact(rate, "last") == "80"
    assert fact(rate, "range") == "≥ 0" and fact(rate, "version") == "第 1 版"
    assert fact(delta, "uom") == "pp" and fact(delta, "range") == "可为任意值，含负数"
    assert 'id="actual-sc_rate"' in html and 'value="81"' in html   # this month's value
    assert f'period={LAST}' in html                                      # the month before
    department = signed_in(county_portal, make_person, "unit9", "D001")
    page = department.get(f"/units/D001/self-checks?period={MONTH}").get_data(as_text=True)
    assert 'id="ind-sc_delta"' not in page and 'id="ind-sc_count"' in page  # townships only


def test_a_negative_value_is_shown_beside_the_field_and_the_form_keeps_it(
        county_portal, make_person):
    client = signed_in(county_portal, make_person)
    page = f"/units/T02/self-checks?period={MONTH}"
    html = post_form(client, page, {"actual-sc_rate": "-5", "narrative-sc_rate": "三月数据",
                                    "actual-sc_count": "3"}).get_data(as_text=True)
    error = re.search(r'<p class="error" id="actual-sc_rate-error">([^<]*)</p>', html)
    assert error and error.group(1).strip() == "不能为负数。"
    assert 'value="-5"' in html and "三月数据" in html and 'value="3"' in html
    assert "未保存：请查看标出的栏目。" in html


def test_the_errors_come_in_english_on_the_switch(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    post_form(client, "/", {"lang": "en", "next": "/"}, action="/language")
    page = f"/units/T02/self-checks?period={MONTH}"
    html = post_form(client, page, {"actual-sc_count": "-1"}).get_data(as_text=True)
    assert re.search(r'id="actual-sc_count-error">Must not be negative\.', html)
    assert "Valid range" in html and "Last month" in html


def test_a_correction_needs_a_reason_and_its_history_is_shown(county_portal, county,
                                                             make_person):
    COUNTY["url"] = county.scoring_url
    client = signed_in(county_portal, make_person, "unit1", "T01")
    page = f"/units/T01/self-checks?period={MONTH}"
    html = post_form(client, page, {"actual-sc_rate": "90"}).get_data(as_text=True)
    assert re.search(r'id="reason-error">该数值已报送过：更正须填写理由。', html)
    assert "暂无更正" in html or "没有数值被更正" in html
    saved = post_form(client, page, {"actual-sc_rate": "90", "reason": "数据口径更正"})
    assert saved.status_code == 302
    shown = client.get(saved.location).get_data(as_text=True)
    assert "数值已保存" in shown
    assert [row[:4] + row[6:] for row in tables(shown)["history"][1:]] == [
        ["sc_rate", "1", "–", "81", "–"], ["sc_rate (当前)", "2", "–", "90", "数据口径更正"]]
    assert [(v["version"], v["actual"], v["reason"]) for v in history("T01", "unit1")
            if v["indicator"] == "sc_rate"] == [(1, 81.0, None), (2, 90.0, "数据口径更正")]


def test_the_month_is_saved_once_however_often_the_form_is_sent(county_portal, county,
                                                               make_person):
    COUNTY["url"] = county.scoring_url
    client = signed_in(county_portal, make_person)
    page = f"/units/T02/self-checks?period={MONTH}"
    html = client.get(page).get_data(as_text=True)
    key = re.search(r'id="key" name="key" type="hidden" value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf_token(html), "key": key, "actual-sc_rate": "88.5",
            "target-sc_rate": "90", "actual-sc_count": "4", "narrative-sc_count": "按期"}
    assert client.post(page, data=form).status_code == 302
    again = client.post(page, data=form)                          # a double click
    assert again.status_code == 200 and "没有改动" in again.get_data(as_text=True)
    assert sorted((v["indicator"], v["actual"], v["target"], v["version"], v["narrative"])
                  for v in history("T02", "unit2")) == [
        ("sc_count", 4.0, None, 1, "按期"), ("sc_rate", 88.5, 90.0, 1, "")]


def test_another_unit_is_refused_and_a_reader_cannot_write(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    response = post_form(client, f"/units/T02/self-checks?period={MONTH}",
                         {"actual-sc_rate": "5"}, action=f"/units/T01/self-checks?period={MONTH}")
    assert response.status_code == 403
    assert client.get(f"/units/T01/self-checks?period={MONTH}").status_code == 403
    analyst = signed_in(county_portal, make_person, "ana", None, role="analyst")
    html = analyst.get(f"/units/T01/self-checks?period={MONTH}").get_data(as_text=True)
    assert 'id="ind-sc_rate"' in html and 'id="actual-sc_rate"' not in html
    assert analyst.get(f"/units/T01/self-checks/upload?period={MONTH}").status_code == 403


def test_a_malformed_month_is_not_found(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    assert client.get("/units/T02/self-checks?period=2026-13").status_code == 404


def upload(client, page, text, reason=""):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(page, data={"csrf_token": token, "reason": reason,
                                   "sheet": (io.BytesIO(text.encode()), "month.csv")},
                       content_type="multipart/form-data")


def test_a_spreadsheet_of_the_month_with_row_errors_then_saved(county_portal, county,
                                                              make_person):
    COUNTY["url"] = county.scoring_url
    client = signed_in(county_portal, make_person)
    page = f"/units/T02/self-checks/upload?period={MONTH}"
    bad = upload(client, page, "unit,indicator,target,actual\nT02,sc_rate,90,abc\n"
                               "T02,sc_nothing,1,1\nT01,sc_count,0,1\n")
    assert bad.status_code == 200
    rows = tables(bad.get_data(as_text=True))["row-errors"][1:]
    assert rows == [["4", "unit", "只能为本单位填报。"]]                 # refused first
    bad = upload(client, page, "unit,indicator,target,actual\nT02,sc_rate,90,abc\n"
                               "T02,sc_nothing,1,1\nT02,sc_count,0,-2\n")
    assert [r[:2] for r in tables(bad.get_data(as_text=True))["row-errors"][1:]] == [
        ["2", "actual"], ["2", "actual"], ["3", "indicator"], ["4", "actual"]]
    assert "不能为负数。" in bad.get_data(as_text=True)                # in the person's words
    assert "未保存：请修改下列各行后重新上传。" in bad.get_data(as_text=True)
    assert history("T02", "unit2") == []                           # nothing was saved
    good = upload(client, page, "unit,indicator,target,actual\nT02,sc_rate,90,91\n"
                                "T02,sc_count,0,2\nT02,sc_delta,,0.5\n")
    assert good.status_code == 302 and good.location.endswith(f"period={MONTH}")
    assert "3 个数值" in client.get(good.location).get_data(as_text=True)
    assert len(history("T02", "unit2")) == 3


def test_a_month_the_planners_have_not_opened_takes_no_values(county_portal, make_person):
    client = signed_in(county_portal, make_person, "unit1", "T01")
    page = "/units/T01/self-checks?period=2031-01"
    html = client.get(page).get_data(as_text=True)
    assert "考评办尚未开放本月填报" in html
    assert 'id="ind-sc_rate"' in html and 'id="actual-sc_rate"' not in html
    assert post_form(client, page, {"actual-sc_rate": "5"}).status_code == 200
