"""Helpers that drive the respondents' pages (``/r/<token>``) with a Flask test client."""

import re


def issue(client, planner, poll_id, **body):
    response = client.post(f"/api/v1/polls/{poll_id}/links", headers=planner,
                           json={"count": 1, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["links"]


def path_of(link):
    return "/r/" + link["token"]


def csrf_of(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def current_question(page) -> str | None:
    found = re.search(r'name="question" value="([^"]+)"', page.get_data(as_text=True))
    return found.group(1) if found else None


def answer(client, path, qid, value, follow=True):
    page = client.get(path)
    assert current_question(page) == qid, page.get_data(as_text=True)[:2000]
    data = {"csrf": csrf_of(page), "question": qid}
    if isinstance(value, list):
        data["answer"] = [str(v) for v in value]
    elif isinstance(value, dict):
        data.update(value)
    else:
        data["answer"] = str(value)
    response = client.post(path, data=data, follow_redirects=follow)
    return response
