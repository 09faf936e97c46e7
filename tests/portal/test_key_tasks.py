"""A unit's key tasks: milestones and the progress reported (with evidence links), read
through the scoring API with the person's token; reporting progress once however often
the form is sent; another unit's tasks refused."""

import re

import requests

from tests.portal.portal_support import csrf_token, person_token, post_form, sign_in, tables


def signed_in(app, make_person, username="unit1", unit="T01", role="unit"):
    make_person(username, role, unit)
    client = app.test_client()
    sign_in(client, username)
    return client


def test_the_tasks_show_milestones_and_progress_with_evidence(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    html = client.get("/units/T01/key-tasks").get_data(as_text=True)
    assert "污水管网改造" in html and 'id="task-KT01"' in html
    found = tables(html)
    milestones = [t for t in found.values() if t and t[0][0] == "节点" and len(t[0]) == 3][0]
    assert [row[0] for row in milestones[1:]] == ["1. 完成设计", "2. 完成施工"]
    assert "50 % · 推进中" in " ".join(html.split())
    assert 'href="https://oa.example.gov.cn/kt01/design"' in html


def test_progress_is_reported_once_and_shown(county_portal, county, make_person):
    client = signed_in(county_portal, make_person)
    page = "/units/T01/key-tasks"
    html = client.get(page).get_data(as_text=True)
    key = re.search(r'id="key" name="key" type="hidden" value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf_token(html), "key": key, "task": "KT01", "milestone": "1",
            "percent": "100", "status": "done", "completed_on": "2026-01-05",
            "narrative": "设计完成", "evidence": "https://oa.example.gov.cn/kt01/done"}
    assert client.post(page, data=form).status_code == 302
    assert client.post(page, data=form).status_code == 302      # a double click
    reports = requests.get(f"{county.scoring_url}/api/v1/key-tasks/KT01/progress",
                           headers=person_token("unit1", "unit", "T01"), timeout=10).json()
    assert sorted((r["percent"], r["status"], r["completed_on"]) for r in reports) == [
        (50.0, "in_progress", None), (100.0, "done", "2026-01-05")]
    assert "100 % · 已完成" in " ".join(client.get(page).get_data(as_text=True).split())


def test_bad_progress_is_shown_beside_the_field(county_portal, make_person):
    client = signed_in(county_portal, make_person)
    html = post_form(client, "/units/T01/key-tasks", {
        "task": "KT01", "percent": "120", "status": "done",
        "evidence": "ftp://nope"}).get_data(as_text=True)
    assert 'id="percent-error"' in html


def test_another_units_tasks_are_refused(county_portal, make_person):
    client = signed_in(county_portal, make_person, "unit2", "T02")
    assert client.get("/units/T01/key-tasks").status_code == 403
    assert "本单位没有重点任务" in client.get("/units/T02/key-tasks").get_data(as_text=True)
