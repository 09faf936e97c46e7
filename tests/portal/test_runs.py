"""A planner publishes a computed run from the home page; a second publish is a 409
shown as a message in the person's language."""

import re
from datetime import timedelta

import requests

from tests.portal.portal_support import csrf_token, person_token, sign_in, tables


def test_publish_then_publish_again(county_portal, county, make_person):
    make_person("plan1", "planner")
    client = county_portal.test_client()
    sign_in(client, "plan1")
    run = county.ids["run_computed"]
    token = csrf_token(client.get("/").get_data(as_text=True))
    done = client.post(f"/runs/{run}/publish", data={"csrf_token": token})
    page = client.get(done.location).get_data(as_text=True)
    assert f"第 {run} 次计算已发布" in page
    assert "runs" not in tables(page)                  # nothing left to publish
    again = client.post(f"/runs/{run}/publish", data={"csrf_token": token})
    page = client.get(again.location).get_data(as_text=True)
    assert re.search(r'class="notice notice-error" role="alert">该次计算已经发布。', page)


def test_only_planners_publish(county_portal, county, make_person):
    make_person("ana1", "analyst")
    client = county_portal.test_client()
    sign_in(client, "ana1")
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(f"/runs/{county.ids['run_computed']}/publish",
                           data={"csrf_token": token})
    assert response.status_code == 403


def test_a_refused_run_says_why_and_a_computed_one_is_shown(county_portal, county, make_person):
    from tests.portal.portal_support import post_form

    make_person("plan1", "planner")
    client = county_portal.test_client()
    sign_in(client, "plan1")
    page = client.get("/runs").get_data(as_text=True)
    listed = [row[0] for row in tables(page)["runs"][1:]]
    assert listed == [f"#{county.ids['run_computed']}", f"#{county.ids['run_published']}"]
    form = {"scheme_version_id": "1", "kind": "quarterly", "period": "2026-Q1", "draws": "0",
            "missing_source": "skip", "fay_herriot": ""}
    refused = post_form(client, "/runs", form)           # nothing reported in that quarter
    assert refused.status_code == 200
    assert "一部分没有任何指标数据" in refused.get_data(as_text=True)
    month = (county.today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    made = post_form(client, "/runs", {**form, "kind": "monthly", "period": month,
                                       "seed": "11"})
    assert made.status_code == 302
    run_id = int(made.location.rsplit("/", 1)[1])
    shown = client.get(made.location).get_data(as_text=True)
    ranking = requests.get(f"{county.scoring_url}/api/v1/runs/{run_id}/ranking",
                           headers=person_token("plan1", "planner"), timeout=10).json()
    for group in ("TS", "G1"):
        expected = [[str(r["rank"]), r["unit"]] for r in ranking if r["peer_group"] == group]
        rows = tables(shown)[group][1:]
        assert [[row[0], row[1].split()[0]] for row in rows] == expected
    token = csrf_token(shown)
    done = client.post(f"/runs/{run_id}/publish",
                       data={"csrf_token": token, "next": f"/runs/{run_id}"})
    assert done.location == f"/runs/{run_id}"
    assert "已发布" in client.get(done.location).get_data(as_text=True)


def test_console_pages_by_role(county_portal, county, make_person):
    """Planners and analysts open the console (analysts read only); the other roles get
    the 403 page."""
    pages = ["/polls/", f"/polls/{county.ids['poll']}", "/campaigns/", "/plans/",
             f"/plans/{county.ids['plan_current']}", "/runs",
             f"/runs/{county.ids['run_published']}"]
    for username, role, unit, status in (("ana1", "analyst", None, 200),
                                         ("lead1", "leader", None, 403),
                                         ("insp9", "inspector", None, 403),
                                         ("unit1", "unit", "T01", 403)):
        make_person(username, role, unit)
        client = county_portal.test_client()
        sign_in(client, username)
        for page in pages:
            answer = client.get(page)
            assert answer.status_code == status, (role, page)
            if status == 200:
                assert 'type="submit">开始计算' not in answer.get_data(as_text=True)
