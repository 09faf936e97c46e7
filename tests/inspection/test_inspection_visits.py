"""Check-in, evidence upload, submission (idempotent), immutability, amendment, review."""

import hashlib
import uuid

from tests.inspection.inspection_support import PNG, good_answers


def _checked_in_visit(api, kind="unannounced"):
    template = api.checklist()
    plan = api.plan(template["id"], kind=kind)
    visit = api.visits(plan["id"])[0]
    api.check_in(visit["id"])
    return visit["id"]


def test_check_in_records_gps_and_flags_distance(api):
    template = api.checklist()
    plan = api.plan(template["id"], targets=("T01", "T02", "T03"))
    v1, v2, v3 = (v["id"] for v in api.visits(plan["id"]))
    near = api.check_in(v1, lat=30.001, lon=120.0)["checkin"]
    # 0.001° of latitude is about 111 m (R = 6371.0088 km): within the 500 m default.
    assert abs(near["distance_m"] - 111.19) < 0.1
    # The plan is for June 2026; a later check-in counts for the window's last day.
    assert near["flags"] == ["outside_plan_window"] and near["reference_date"] == "2026-06-30"
    assert near["provider"] == "gps" and near["at"]
    far = api.check_in(v2, lat=30.0, lon=120.0, mock_location=True, accuracy_m=250)["checkin"]
    assert far["distance_m"] > 10_000
    assert set(far["flags"]) == {"far_from_unit", "mock_location", "low_accuracy",
                                 "outside_plan_window"}
    unknown = api.check_in(v3)["checkin"]
    assert unknown["distance_m"] is None and "location_unknown" in unknown["flags"]
    api.call(
        "POST", f"/visits/{v1}/check-in", role="inspector", sub="insp-a",
        json={"lat": 30, "lon": 120, "accuracy_m": 5, "provider": "gps", "mock_location": False},
        expect=409)


def test_location_cached_on_the_target_is_used(api):
    template = api.checklist()
    body_targets = [{"unit": "T09", "lat": 31.0, "lon": 121.0}]
    plan = api.call("POST", "/plans", expect=201, json={
        "name": "p", "kind": "open", "template_id": template["id"], "window_from": "2026-06-01",
        "window_to": "2026-06-30", "inspectors": ["insp-a"], "targets": body_targets})
    visit = api.visits(plan["id"])[0]
    assert api.check_in(visit["id"], lat=31.0, lon=121.0)["checkin"]["distance_m"] == 0


def test_target_with_half_a_location_is_refused(api):
    template = api.checklist()
    body = {"name": "p", "kind": "open", "template_id": template["id"],
            "window_from": "2026-06-01", "window_to": "2026-06-30", "inspectors": ["insp-a"]}
    errors = api.call("POST", "/plans", expect=422,
                      json={**body, "targets": [{"unit": "T09", "lat": 31.0}]})["errors"]
    assert "lon" in str(errors) and "targets" in str(errors)
    errors = api.call("POST", "/plans", expect=422, json={**body, "draw": {
        "frame": [{"unit": "T09", "stratum": "s", "lon": 121.0}], "per_stratum": 1}})["errors"]
    assert "lat" in str(errors) and "frame" in str(errors)


def test_check_in_with_half_a_location_on_the_visit_and_in_the_registry(api, engines):
    """A visit stored with half a location (accepted before intake refused it) and a
    registry unit with half a location: check-in works and flags the location unknown
    (every check-in of such a visit used to answer 500)."""
    from sqlalchemy import text

    template = api.checklist()
    plan = api.plan(template["id"], kind="open", targets=("T04", "T09"))
    v4, v9 = (v["id"] for v in api.visits(plan["id"]))
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE visits SET unit_lat = 31.0 WHERE id IN (:a, :b)"),
                           {"a": v4, "b": v9})
    for visit_id in (v4, v9):
        checkin = api.check_in(visit_id)["checkin"]
        assert checkin["distance_m"] is None and "location_unknown" in checkin["flags"]


def test_submit_scores_and_uses_the_self_check_from_the_registry(api):
    visit_id = _checked_in_visit(api)
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
    visit_id = _checked_in_visit(api)
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


def test_hash_mismatch_is_422_and_nothing_is_stored(api, evidence_dir):
    visit_id = _checked_in_visit(api)
    declared = api.attach(visit_id, PNG, sha256="0" * 64, upload=False)
    response = api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
                        role="inspector", sub="insp-a", data=PNG, expect=422)
    assert "sha256" in response["errors"]
    stored = [p for p in evidence_dir.rglob("*") if p.is_file()] if evidence_dir.exists() else []
    assert stored == []
    visit = api.call("GET", f"/visits/{visit_id}")
    assert visit["attachments"][0]["status"] == "declared"


def test_size_type_and_magic_limits(api, app):
    visit_id = _checked_in_visit(api)
    body = {"kind": "photo", "filename": "x.exe", "content_type": "application/x-msdownload",
            "size": 10, "sha256": "a" * 64}
    errors = api.call("POST", f"/visits/{visit_id}/attachments", role="inspector", sub="insp-a",
                      json=body, expect=422)["errors"]
    assert "content_type" in errors
    body.update(content_type="image/png",
                size=app.config["INSPECTION_EVIDENCE_MAX_BYTES"] + 1)
    errors = api.call("POST", f"/visits/{visit_id}/attachments", role="inspector", sub="insp-a",
                      json=body, expect=422)["errors"]
    assert "size" in errors
    not_png = b"GIF89a" + b"\x00" * 50
    declared = api.attach(visit_id, not_png, upload=False)
    errors = api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
                      role="inspector", sub="insp-a", data=not_png, expect=422)["errors"]
    assert "content_type" in errors
    short = api.attach(visit_id, PNG, upload=False)
    errors = api.call("PUT", f"/visits/{visit_id}/attachments/{short['id']}/content",
                      role="inspector", sub="insp-a", data=PNG[:-1], expect=422)["errors"]
    assert "size" in errors


def test_upload_is_stored_under_its_hash_and_downloads_intact(api, evidence_dir):
    visit_id = _checked_in_visit(api)
    content = PNG + bytes(range(256)) * 1000
    declared = api.attach(visit_id, content)
    digest = hashlib.sha256(content).hexdigest()
    assert (evidence_dir / digest[:2] / digest).read_bytes() == content
    got = api.call("GET", f"/visits/{visit_id}/attachments/{declared['id']}/content")
    assert got.data == content
    api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
             role="inspector", sub="insp-a", data=content, expect=409)


def test_missing_attachment_blocks_submission(api):
    visit_id = _checked_in_visit(api)
    api.attach(visit_id, PNG)
    waiting = api.attach(visit_id, PNG + b"2", upload=False)
    errors = api.submit(visit_id, expect=409)["errors"]
    assert f"attachment {waiting['id']} not received" in errors["attachments"]
    api.call("PUT", f"/visits/{visit_id}/attachments/{waiting['id']}/content",
             role="inspector", sub="insp-a", data=PNG + b"2")
    assert api.submit(visit_id)["status"] == "submitted"


def test_photo_required_item_needs_a_photo(api):
    visit_id = _checked_in_visit(api)
    errors = api.submit(visit_id, expect=422)["errors"]
    assert "answers.env.trees_area" in errors
    answers = good_answers()
    answers[2] = {"item_id": "env.trees_area", "result": "na"}
    assert api.submit(visit_id, answers=answers)["status"] == "submitted"


def test_answers_are_validated_per_item(api):
    visit_id = _checked_in_visit(api)
    answers = good_answers(sanitation=12)[:3] + [{"item_id": "bogus", "result": "pass"}]
    errors = api.submit(visit_id, answers=answers, expect=422)["errors"]
    assert "answers.3.item_id" in errors and "answers" in errors  # unknown item, note missing


def test_submit_before_check_in_is_409(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    visit = api.visits(plan["id"])[0]
    api.submit(visit["id"], expect=409)


def test_amendment_makes_a_new_version_with_reason(api):
    visit_id = _checked_in_visit(api)
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


def test_review_return_needs_a_comment_then_approve(api):
    visit_id = _checked_in_visit(api)
    api.attach(visit_id, PNG)
    api.submit(visit_id)
    errors = api.call("POST", f"/visits/{visit_id}/review", json={"decision": "return"},
                      expect=422)["errors"]
    assert "comment" in errors
    returned = api.call("POST", f"/visits/{visit_id}/review",
                        json={"decision": "return", "comment": "measure again"})
    assert returned["status"] == "returned" and returned["review_comment"] == "measure again"
    api.call("POST", f"/visits/{visit_id}/review", json={"decision": "approve"}, expect=409)
    body = {"client_uuid": str(uuid.uuid4()), "answers": good_answers(trees=95),
            "reason": "measured again as asked"}
    api.call("POST", f"/visits/{visit_id}/amend", role="inspector", sub="insp-a", json=body)
    approved = api.call("POST", f"/visits/{visit_id}/review", json={"decision": "approve"})
    assert approved["status"] == "approved" and approved["current_version"] == 2


def test_submission_body_matches_its_documented_schema(api):
    from services.inspection.schemas.submissions import (
        AnswerOutSchema,
        FindingSchema,
        VersionSchema,
    )
    from services.inspection.schemas.visits import SubmissionSchema

    visit_id = _checked_in_visit(api)
    api.attach(visit_id, PNG)
    body = api.submit(visit_id, findings=[{"severity": "minor", "description": "x"}])
    assert set(body) == set(SubmissionSchema().fields)
    assert set(body["version"]) == set(VersionSchema().fields)
    assert set(body["version"]["answers"][0]) == set(AnswerOutSchema().fields)
    assert set(body["version"]["findings"][0]) == set(FindingSchema().fields)
    assert SubmissionSchema().load(body) is not None  # and it reads back through it


def test_evidence_may_exceed_the_general_body_limit_but_not_its_own(make_app, registry_url,
                                                                    evidence_dir, auth):
    from tests.inspection.inspection_support import Api

    app = make_app("inspection", SCORING_URL=registry_url, MAX_CONTENT_LENGTH=1024,
                   INSPECTION_EVIDENCE_DIR=str(evidence_dir),
                   INSPECTION_EVIDENCE_MAX_BYTES=8192)
    api = Api(app.test_client(), auth)
    visit_id = _checked_in_visit(api)
    api.attach(visit_id, PNG + b"\x00" * 4000)  # 4 KB > the general 1 KB limit
    declared = api.attach(visit_id, PNG + b"\x01" * 4000, upload=False)
    # A body longer than the declared size is cut off and refused, nothing kept.
    api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
             role="inspector", sub="insp-a", data=PNG + b"\x01" * 6000, expect=413)
    assert api.call("GET", f"/visits/{visit_id}")["attachments"][1]["status"] == "declared"


def test_stored_version_reads_back_as_the_submission_answered(api):
    """The submission's response is built without reading back; the stored rows (all
    answers in one statement, findings, version, visit row) must say the same."""
    visit_id = _checked_in_visit(api)
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
