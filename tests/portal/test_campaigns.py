"""A planner's telephone campaigns through the real survey service: a refused setting
shown beside its field, a campaign created once however often its form is posted, the
settings changed, the state buttons, the monitor's JSON equal to the API's progress, an
analyst who reads but changes nothing. (The live monitor in Chromium, with the dialer
and the simulated carrier: tests/portal/test_console_browser.py.)"""

import io
import re

import requests
from flask_babel import force_locale

from services.portal import campaigns
from tests.portal.portal_support import csrf_token, person_token, sign_in, tables

SETTINGS = {"name": "年中电话调查", "from_number": "+8657488880000", "windows": "09:00-12:00",
            "weekdays": "0, 1, 2, 3, 4", "max_attempts": "3", "max_concurrent": "5",
            "cps": "1", "language": "zh-CN"}


def signed_in(app, make_person, username="plan1", role="planner"):
    make_person(username, role)
    client = app.test_client()
    sign_in(client, username)
    return client


def post(client, page, data, action=None, **kwargs):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data}, **kwargs)


def api(county, path, method="GET", **kwargs):
    return requests.request(method, f"{county.survey_url}/api/v1{path}",
                            headers=person_token("plan1", "planner"), timeout=10, **kwargs)


def test_create_once_change_settings_and_start(county_portal, county, make_person):
    client = signed_in(county_portal, make_person)
    poll = county.ids["poll"]
    refused = post(client, "/campaigns/", {**SETTINGS, "poll_id": poll, "windows": "9-12"})
    assert refused.status_code == 200 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert api(county, "/telephony/campaigns").json() == []
    page = client.get("/campaigns/").get_data(as_text=True)
    token, key = csrf_token(page), page.split('name="key" type="hidden" value="')[1][:36]
    form = {**SETTINGS, "poll_id": poll, "csrf_token": token, "key": key}
    first, again = client.post("/campaigns/", data=form), client.post("/campaigns/", data=form)
    assert first.location == again.location              # the same campaign, made once
    (made,) = api(county, "/telephony/campaigns").json()
    assert (made["poll_id"], made["windows"], made["weekdays"], made["max_attempts"]) == \
        (poll, ["09:00-12:00"], [0, 1, 2, 3, 4], 3)
    detail = f"/campaigns/{made['id']}"
    changed = post(client, detail, {f"settings-{k}": v for k, v in
                                    {**SETTINGS, "max_attempts": "6", "cps": "2.5"}.items()})
    assert changed.status_code == 302
    stored = api(county, f"/telephony/campaigns/{made['id']}").json()
    assert (stored["max_attempts"], stored["cps"]) == (6, 2.5)
    def upload(content):
        sent = post(client, detail, {"frame-file": (io.BytesIO(content), "frame.csv")},
                    action=f"{detail}/frame", content_type="multipart/form-data")
        return re.findall(r'role="(?:alert|status)">([^<]*)<',
                          client.get(sent.location).get_data(as_text=True))

    twice = b"phone,township\n13900010001,T01\n13900010002,T02\n13900010002,T02\n"
    assert upload(twice) == ["duplicate of row 3 / 与第3行重复"]   # the API's row error
    assert upload(b"phone,township\n13900010001,T01\n13900010002,T02\n") == \
        ["已导入 2 个号码（重复 0 个，拒访名单 0 个）。"]
    assert post(client, detail, {}, action=f"{detail}/start").status_code == 302
    assert api(county, f"/telephony/campaigns/{made['id']}").json()["state"] == "running"
    again = post(client, detail, {}, action=f"{detail}/resume")      # not paused: a 409
    assert "role=\"alert\"" in client.get(again.location).get_data(as_text=True)
    post(client, detail, {}, action=f"{detail}/pause")
    assert api(county, f"/telephony/campaigns/{made['id']}").json()["state"] == "paused"
    assert client.post(f"{detail}/explode", data={"csrf_token": token}).status_code == 404


def test_the_monitor_json_is_the_apis_progress(county_portal, county, make_person):
    client = signed_in(county_portal, make_person)
    made = api(county, "/telephony/campaigns", "POST", json={
        "poll_id": county.ids["poll"], "name": "c", "from_number": "+8657488880000"}).json()
    api(county, f"/telephony/campaigns/{made['id']}/frame", "POST",
        files={"file": ("f.csv", b"phone,township\n13900010001,T01\n13900010002,T02\n")})
    progress = api(county, f"/telephony/campaigns/{made['id']}/progress").json()
    shown = client.get(f"/campaigns/{made['id']}/monitor.json").get_json()
    with county_portal.test_request_context(), force_locale("zh_CN"):
        assert shown == campaigns.texts(campaigns.monitor_of(progress))
    assert shown["state"] == "draft" and shown["state_label"] == "草稿"
    assert set(shown["townships"]) == {"T01", "T02"}
    assert shown["townships"]["T01"]["cases"] == "1"
    assert shown["totals"]["quota"] == "0 / 6"         # two townships of three completes
    page = tables(client.get(f"/campaigns/{made['id']}").get_data(as_text=True))["monitor"]
    assert page[1][0] == "T01" and page[-1][0] == "全部乡镇"


def test_an_analyst_reads_and_changes_nothing(county_portal, county, make_person):
    made = api(county, "/telephony/campaigns", "POST", json={
        "poll_id": county.ids["poll"], "name": "c", "from_number": "+8657488880000"}).json()
    client = signed_in(county_portal, make_person, "ana1", "analyst")
    page = client.get(f"/campaigns/{made['id']}").get_data(as_text=True)
    assert "开始拨打" not in page and "保存设置" not in page
    assert client.get(f"/campaigns/{made['id']}/monitor.json").status_code == 200
    token = csrf_token(page)
    assert client.post(f"/campaigns/{made['id']}/start",
                       data={"csrf_token": token}).status_code == 403
    assert api(county, f"/telephony/campaigns/{made['id']}").json()["state"] == "draft"
    make_person("unit1", "unit", "T01")
    unit = county_portal.test_client()
    sign_in(unit, "unit1")
    assert unit.get(f"/campaigns/{made['id']}/monitor.json").status_code == 403
