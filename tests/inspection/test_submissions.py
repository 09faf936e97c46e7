"""Submissions: scored with the self-check fetched at check-in, idempotent on the
device's UUID (also from many threads at once over real HTTP: one version per visit,
replays get the original, the audit chain stays linear), immutable once submitted,
amended as a new version; the response is the stored version as documented."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.inspection.inspection_support import PNG, good_answers
from tests.support import serving


@pytest.mark.commits  # threads on connections of their own
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


def test_submit_scores_and_uses_the_self_check_from_the_registry(api):
    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG)
    # trees: inspected 80 vs self-reported 100 (T01, 2026-06): beyond 10 % → fail.
    result = api.submit(visit_id, answers=good_answers(trees=80))
    version = result["version"]
    trees = next(a for a in version["answers"] if a["item_id"] == "env.trees_area")
    assert trees["self_reported"] == 100 and trees["discrepant"] is True
    # Σw·s = 2·1 + 8 + 0 = 10 of 2 + 10 + 1 = 13
    assert abs(result["score"] - 100 * 10 / 13) < 1e-9
    assert result["status"] == "submitted" and version["rule_version"] == "insp-score-v1"


def test_replayed_submission_returns_the_original_and_altered_payload_is_409(api):
    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG)
    key = str(uuid.uuid4())
    first = api.submit(visit_id, client_uuid=key)
    again = api.submit(visit_id, client_uuid=key)
    assert again == first
    altered = api.submit(visit_id, client_uuid=key, answers=good_answers(sanitation=3),
                         expect=409)
    assert "idempotency_key" in altered["errors"]
    # a new UUID cannot change a submitted visit either
    api.submit(visit_id, expect=409)
    visit = api.call("GET", f"/visits/{visit_id}")
    assert len(visit["versions"]) == 1 and visit["versions"][0]["client_uuid"] == key


def test_missing_attachment_blocks_submission(api):
    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG)
    waiting = api.attach(visit_id, PNG + b"2", upload=False)
    errors = api.submit(visit_id, expect=409)["errors"]
    assert f"attachment {waiting['id']} not received" in errors["attachments"]
    api.call("PUT", f"/visits/{visit_id}/attachments/{waiting['id']}/content",
             role="inspector", sub="insp-a", data=PNG + b"2")
    assert api.submit(visit_id)["status"] == "submitted"


def test_photo_required_item_needs_a_photo(api):
    visit_id = api.checked_in_visit()
    errors = api.submit(visit_id, expect=422)["errors"]
    assert "answers.env.trees_area" in errors
    answers = good_answers()
    answers[2] = {"item_id": "env.trees_area", "result": "na"}
    assert api.submit(visit_id, answers=answers)["status"] == "submitted"


def test_answers_are_validated_per_item(api):
    visit_id = api.checked_in_visit()
    answers = good_answers(sanitation=12)[:3] + [{"item_id": "bogus", "result": "pass"}]
    errors = api.submit(visit_id, answers=answers, expect=422)["errors"]
    assert "answers.3.item_id" in errors and "answers" in errors  # unknown item, note missing


def test_submit_before_check_in_is_409(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    visit = api.visits(plan["id"])[0]
    api.submit(visit["id"], expect=409)


def test_amendment_makes_a_new_version_with_reason(api):
    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG)
    api.submit(visit_id)
    body = {"client_uuid": str(uuid.uuid4()), "answers": good_answers(fire="fail"),
            "findings": [], "reason": "fire exit was blocked behind the store"}
    api.call("POST", f"/visits/{visit_id}/amend", role="inspector", sub="insp-a", json=body)
    amended = api.call("GET", f"/visits/{visit_id}")
    assert [v["version"] for v in amended["versions"]] == [1, 2]
    assert amended["versions"][1]["reason"] == body["reason"]
    assert amended["versions"][1]["capped"] is True and amended["score"] == 60
    assert amended["versions"][0]["capped"] is False  # the first version is unchanged
    body.pop("reason")
    body["client_uuid"] = str(uuid.uuid4())
    errors = api.call("POST", f"/visits/{visit_id}/amend", role="inspector", sub="insp-a",
                      json=body, expect=422)["errors"]
    assert "reason" in errors["json"]


def test_submission_body_matches_its_documented_schema(api):
    from services.inspection.schemas.submissions import (
        AnswerOutSchema,
        FindingSchema,
        VersionSchema,
    )
    from services.inspection.schemas.visits import SubmissionSchema

    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG)
    body = api.submit(visit_id, findings=[{"severity": "minor", "description": "x"}])
    assert set(body) == set(SubmissionSchema().fields)
    assert set(body["version"]) == set(VersionSchema().fields)
    assert set(body["version"]["answers"][0]) == set(AnswerOutSchema().fields)
    assert set(body["version"]["findings"][0]) == set(FindingSchema().fields)
    assert SubmissionSchema().load(body) is not None  # and it reads back through it


def test_stored_version_reads_back_as_the_submission_answered(api):
    """The submission's response is built without reading back; the stored rows (all
    answers in one statement, findings, version, visit row) must say the same."""
    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG)
    answers = good_answers(fire="na", trees=95.5)
    findings = [{"severity": "major", "item_id": "env.trees_area", "description": "gap"},
                {"ref": "X", "severity": "minor", "description": "litter"}]
    submitted = api.submit(visit_id, answers=answers, findings=findings)
    visit = api.call("GET", f"/visits/{visit_id}")
    stored = visit["versions"][0]
    sent = submitted["version"]
    assert [a["item_id"] for a in stored["answers"]] == [a["item_id"] for a in answers]
    assert stored["answers"] == sent["answers"]
    by_item = {a["item_id"]: a for a in stored["answers"]}
    assert by_item["safety.fire_exits"]["result"] == "na"
    assert by_item["env.trees_area"]["value"] == 95.5
    assert by_item["env.trees_area"]["self_reported"] == 100
    assert by_item["note"]["text"] == "ok" and by_item["note"]["points"] is None
    assert stored["findings"] == sent["findings"]
    assert [f["ref"] for f in stored["findings"]] == ["F1", "X"]
    for key in ("version", "client_uuid", "score", "score_raw", "capped", "rule_version",
                "submitted_by", "reason", "notes"):
        assert stored[key] == sent[key], key
    for key in ("status", "current_version", "score"):
        assert visit[key] == submitted[key], key
    assert visit["status"] == "submitted" and visit["current_version"] == 1
    assert visit["reviewed_by"] is None
