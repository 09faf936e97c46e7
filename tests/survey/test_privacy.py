"""Respondent identity is kept apart: analysts see answers, never contact data."""

import json


def test_contacts_only_for_planners(client, planner, make_poll, auth):
    poll = make_poll()
    links = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner, json={
        "township": "T01", "contacts": [{"name": "王小明", "phone": "+8613800138000",
                                         "email": "wxm@example.cn"}, {"name": "李四"}]})
    assert links.status_code == 201 and len(links.get_json()["links"]) == 2
    analyst = auth("analyst")
    for path in ("responses", "responses/export?format=csv", "dispositions", "estimates"):
        response = client.get(f"/api/v1/polls/{poll['id']}/{path}", headers=analyst)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True) if "export" in path else json.dumps(
            response.get_json(), ensure_ascii=False)
        assert "王小明" not in text and "13800138000" not in text and "example.cn" not in text
    assert client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=analyst).status_code == 403
    contacts = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=planner).get_json()
    assert [c["name"] for c in contacts] == ["王小明", "李四"]
    assert contacts[0]["interview_id"] == links.get_json()["links"][0]["interview_id"]


def test_respondent_pages_need_no_token_but_the_api_does(client, planner, make_poll):
    poll = make_poll()
    link = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                       json={"count": 1, "township": "T01"}).get_json()["links"][0]
    assert client.get("/r/" + link["token"]).status_code == 200
    assert client.get(f"/api/v1/polls/{poll['id']}/responses").status_code == 401
