"""A unit's self-check page: the API's 422 and 409 shown beside the fields in the person's
language with the form refilled; a saved value; a repeated post saved once."""

import re
from datetime import date

import requests

from tests.portal.portal_support import csrf_token, person_token, post_form, sign_in

MONTH = date.today().strftime("%Y-%m")


def signed_in(app, make_person, username="unit2", unit="T02"):
    make_person(username, "unit", unit)
    client = app.test_client()
    sign_in(client, username)
    return client


def test_a_negative_value_is_shown_beside_the_field_and_the_form_keeps_it(
        county_portal, make_person):
    client = signed_in(county_portal, make_person)
    page = f"/units/T02/self-checks?period={MONTH}"
    html = post_form(client, page, {"indicator": "sc_rate", "actual": "-5",
                                    "narrative": "三月数据"}).get_data(as_text=True)
    error = re.search(r'<p class="error" id="actual-error">([^<]*)</p>', html)
    assert error and error.group(1).strip() == "不能为负数。"
    assert 'value="-5"' in html and "三月数据" in html and 'value="sc_rate"' in html
    assert "未保存：请查看标出的栏目。" in html


def test_the_errors_come_in_english_on_the_switch(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    post_form(client, "/", {"lang": "en", "next": "/"}, action="/language")
    page = f"/units/T02/self-checks?period={MONTH}"
    html = post_form(client, page, {"indicator": "sc_nothing", "actual": "5"}).get_data(
        as_text=True)
    assert re.search(r'id="indicator-error">This indicator is not in the scheme\.', html)


def test_a_correction_without_a_reason_is_a_conflict_shown_beside_reason(
        county_portal, make_person):
    client = signed_in(county_portal, make_person, "unit1", "T01")
    page = f"/units/T01/self-checks?period={MONTH}"
    html = post_form(client, page, {"indicator": "sc_rate", "actual": "90"}).get_data(
        as_text=True)
    assert re.search(r'id="reason-error">该数值已报送过：更正须填写理由。', html)
    saved = post_form(client, page, {"indicator": "sc_rate", "actual": "90",
                                     "reason": "数据口径更正"})
    assert saved.status_code == 302
    assert "数值已保存" in client.get(saved.location).get_data(as_text=True)


def test_a_value_is_saved_once_however_often_the_form_is_sent(county_portal, county,
                                                              make_person):
    client = signed_in(county_portal, make_person)
    page = f"/units/T02/self-checks?period={MONTH}"
    html = client.get(page).get_data(as_text=True)
    key = re.search(r'id="key" name="key" type="hidden" value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf_token(html), "key": key, "indicator": "sc_rate",
            "actual": "88.5", "target": "90"}
    assert client.post(page, data=form).status_code == 302
    assert client.post(page, data=form).status_code == 302       # a double click
    values = requests.get(f"{county.scoring_url}/api/v1/self-checks/history",
                          params={"unit": "T02", "period": MONTH},
                          headers=person_token("unit2", "unit", "T02"), timeout=10).json()
    assert [(v["indicator"], v["actual"], v["target"], v["version"]) for v in values] == [
        ("sc_rate", 88.5, 90.0, 1)]
    assert "88.5" in client.get(page).get_data(as_text=True)


def test_posting_for_another_unit_is_refused_by_the_api(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    response = post_form(client, f"/units/T02/self-checks?period={MONTH}",
                         {"indicator": "sc_rate", "actual": "5"},
                         action=f"/units/T01/self-checks?period={MONTH}")
    assert response.status_code == 403


def test_a_malformed_month_is_not_found(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    assert client.get("/units/T02/self-checks?period=2026-13").status_code == 404
