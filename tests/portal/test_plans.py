"""A planner's inspections through the real inspection service: a plan drawn from the
registry's units with a given seed (its sample is the documented draw's), a visit given
to another inspector, a submitted visit returned (a comment is required) and approved,
orders overdue on the portal's day, and an analyst who reads only."""

from datetime import timedelta

import requests

from services.inspection.plans import stratified_draw
from tests.portal.county import INSPECTOR
from tests.portal.portal_support import csrf_token, person_token, sign_in, tables


def signed_in(app, make_person, username="plan1", role="planner"):
    make_person(username, role)
    client = app.test_client()
    sign_in(client, username)
    return client


def post(client, page, data, action=None):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data})


def api(county, path, method="GET", **kwargs):
    response = requests.request(method, f"{county.inspection_url}/api/v1{path}",
                                headers=person_token("plan1", "planner"), timeout=10, **kwargs)
    return response.json()


def test_a_plan_drawn_with_its_seed(county_portal, county, make_person):
    make_person(INSPECTOR, "inspector", name="检查员甲")
    client = signed_in(county_portal, make_person)
    listed = tables(client.get("/plans/").get_data(as_text=True))["plans"]
    assert {row[0].split(" ", 1)[1] for row in listed[1:]} == {"本月环境整治检查", "下月暗访"}
    template = api(county, "/checklists")[0]["id"]
    made = post(client, "/plans/", {
        "name": "抽查", "kind": "unannounced", "template_id": template,
        "window_from": county.today.isoformat(),
        "window_to": (county.today + timedelta(days=20)).isoformat(),
        "inspectors": [INSPECTOR], "selection": "draw", "per_stratum": "1", "seed": "42"})
    assert made.status_code == 302, made.get_data(as_text=True)
    plan_id = int(made.location.rstrip("/").rsplit("/", 1)[1])
    page = client.get(made.location).get_data(as_text=True)
    assert '<dd id="seed">42</dd>' in page
    frame = [{"unit": code, "stratum": group} for code, group in
             (("D001", "G1"), ("T01", "TS"), ("T02", "TS"), ("T03", "TS"))]
    drawn = stratified_draw(frame, {"G1": 1, "TS": 1}, 42)
    shown = [row[0] for row in tables(page)["visits"][1:]]
    assert sorted(shown) == sorted(drawn)
    assert api(county, f"/plans/{plan_id}/draw-check")["matches"] is True


def test_a_visit_given_to_another_inspector(county_portal, county, make_person):
    make_person(INSPECTOR, "inspector")
    make_person("insp2", "inspector", name="检查员乙")
    client = signed_in(county_portal, make_person)
    plan = county.ids["plan_current"]
    visits = {v["unit"]: v for v in api(county, f"/plans/{plan}/visits")}
    scheduled, submitted = visits["T03"]["id"], visits["T01"]["id"]
    page = f"/plans/{plan}"
    done = post(client, page, {f"v{scheduled}-inspector": "insp2"},
                action=f"{page}/visits/{scheduled}/assign")
    assert done.status_code == 302
    assert api(county, f"/visits/{scheduled}")["inspector"] == "insp2"
    html = client.get(page).get_data(as_text=True)
    assert f"走访 {scheduled} 已改派给 insp2" in html
    assert f'action="/plans/{plan}/visits/{submitted}/assign"' not in html   # only scheduled
    refused = post(client, page, {f"v{submitted}-inspector": "insp2"},
                   action=f"{page}/visits/{submitted}/assign")
    assert 'notice-error' in client.get(refused.location).get_data(as_text=True)
    assert api(county, f"/visits/{submitted}")["inspector"] == INSPECTOR


def test_review_returns_with_a_comment_and_approves(county_portal, county, make_person):
    client = signed_in(county_portal, make_person)
    visit = {v["unit"]: v["id"] for v in
             api(county, f"/plans/{county.ids['plan_current']}/visits")}["T01"]
    page = f"/plans/visits/{visit}/review"
    shown = client.get(page).get_data(as_text=True)
    assert "T01 垃圾未及时清运" in shown and "env.sanitation" in shown
    refused = post(client, page, {"decision": "return", "comment": ""})
    assert refused.status_code == 200 and 'id="comment-error"' in refused.get_data(as_text=True)
    assert api(county, f"/visits/{visit}")["status"] == "submitted"
    approved = post(client, page, {"decision": "approve", "comment": "ok"})
    assert approved.status_code == 302
    assert api(county, f"/visits/{visit}")["status"] == "approved"


def test_orders_overdue_on_the_portals_day(county_portal, county, make_person, clock):
    client = signed_in(county_portal, make_person)
    assert "没有逾期的整改通知" in client.get("/plans/").get_data(as_text=True)
    clock.advance(days=13)                   # the county's orders are due in ten days
    sign_in(client, "plan1")                 # (the session ended meanwhile)
    rows = tables(client.get("/plans/").get_data(as_text=True))["overdue"][1:]
    assert sorted(row[1] for row in rows) == ["T01", "T02"]
    assert all(row[3] in ("2", "3") for row in rows)


def test_an_analyst_reads_plans_only(county_portal, county, make_person):
    client = signed_in(county_portal, make_person, "ana1", "analyst")
    page = client.get("/plans/").get_data(as_text=True)
    assert "本月环境整治检查" in page and "新建检查计划" not in page
    assert client.get("/plans/visits/1/review").status_code == 403
