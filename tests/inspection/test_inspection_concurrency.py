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


def test_parallel_reads_of_an_unannounced_plan_are_all_audited(api, app, auth):
    """Each read appends a ``plan.read`` entry; appends from parallel requests queue on
    the chain instead of colliding on ``seq`` (which answered 500 on SQLite)."""
    template = api.checklist()
    plan = api.plan(template["id"], targets=[f"U{i}" for i in range(4)])
    headers = auth("planner", sub="alice")
    with serving(app) as url:
        def read(path):
            response = requests.get(f"{url}/api/v1{path}", headers=headers, timeout=60)
            return response.status_code, response.text

        paths = [f"/plans/{plan['id']}", f"/plans/{plan['id']}/visits", "/plans"] * 8
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(read, paths))

    assert [status for status, _ in results] == [200] * len(paths), results
    reads = api.call("GET", "/audit?action=plan.read&limit=1000", role="admin")
    assert len([r for r in reads if r["actor"] == "alice"]) == len(paths)
    assert api.call("GET", "/audit/verify", role="admin")["ok"] is True
