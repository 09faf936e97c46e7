"""Submissions from many threads at once over real HTTP: one version per visit, replays
get the original, the audit chain stays linear."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.inspection.inspection_support import good_answers
from tests.support import serving


def test_concurrent_submissions_and_replays(api, app, auth):
    template = api.checklist()
    answers = good_answers()
    answers[2] = {"item_id": "env.trees_area", "result": "na"}  # no photo needed
    plan = api.plan(template["id"], kind="open", targets=[f"U{i}" for i in range(6)])
    visits = [v["id"] for v in api.visits(plan["id"])]
    for visit_id in visits:
        api.check_in(visit_id)
    keys = {visit_id: str(uuid.uuid4()) for visit_id in visits}
    headers = auth("inspector", sub="insp-a")

    with serving(app) as url:
        def submit(visit_id):
            body = {"client_uuid": keys[visit_id], "answers": answers}
            for _ in range(5):  # a 409 "concurrent submission" is retried, as a device would
                response = requests.post(f"{url}/api/v1/visits/{visit_id}/submit", json=body,
                                         headers=headers, timeout=30)
                if response.status_code != 409:
                    return response.status_code, response.json()
            return response.status_code, response.json()

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(submit, visits * 3))  # each visit three times at once

    assert all(status == 200 for status, _ in results), results
    by_visit: dict[int, list] = {}
    for _status, body in results:
        by_visit.setdefault(body["id"], []).append(body)
    for bodies in by_visit.values():
        assert all(b == bodies[0] for b in bodies)  # replays return the original
    for visit_id in visits:
        assert len(api.call("GET", f"/visits/{visit_id}")["versions"]) == 1
    chain = api.call("GET", "/audit/verify", role="admin")
    assert chain["ok"] is True
    submits = api.call("GET", "/audit?action=visit.submit", role="admin")
    assert len(submits) == len(visits)
