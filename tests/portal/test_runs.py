"""A planner publishes a computed run from the home page; a second publish is a 409
shown as a message in the person's language."""

import re

from tests.portal.portal_support import csrf_token, sign_in, tables


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
