"""Key tasks: milestones, progress, cross-unit denial, on-time rate and progress lag."""


import pytest

from tests.scoring.scoring_intake_support import csv_bytes, seed, upload

TASK = {"code": "KT01", "title_zh": "招商引资", "title_en": "Investment", "category": "key_task",
        "unit": "T01", "leader": "张县长", "milestones": [
            {"seq": 1, "due_on": "2026-01-25", "planned_percent": 20},
            {"seq": 2, "due_on": "2026-02-25", "planned_percent": 50},
            {"seq": 3, "due_on": "2026-03-25", "planned_percent": 80},
            {"seq": 4, "due_on": "2026-04-25", "planned_percent": 100}]}


@pytest.fixture
def task(scoring_client, auth):
    planner = seed(scoring_client, auth)
    response = scoring_client.post("/api/v1/key-tasks", json=TASK, headers=planner)
    assert response.status_code == 201
    second = {**TASK, "code": "CP01", "unit": "D001", "category": "city_project",
              "milestones": [{"seq": 1, "due_on": "2026-02-10"},
                             {"seq": 2, "due_on": "2026-06-10"}]}
    assert scoring_client.post("/api/v1/key-tasks", json=second, headers=planner).json[
        "milestones"][1]["planned_percent"] == 100.0
    return planner


def _report(client, headers, code="KT01", **body):
    return client.post(f"/api/v1/key-tasks/{code}/progress", json=body, headers=headers)


def test_units_report_only_their_own_tasks(scoring_client, auth, task):
    t01, t02 = auth("unit", "T01"), auth("unit", "T02")
    ok = _report(scoring_client, t01, milestone=1, percent=20, status="done",
                 completed_on="2026-01-24", as_of="2026-01-31",
                 evidence=["https://oa.example/kt01/1"])
    assert ok.status_code == 201 and ok.json["reported_by"] == "test-unit"
    denied = _report(scoring_client, t02, percent=5, status="in_progress")
    assert denied.status_code == 403
    assert scoring_client.get("/api/v1/key-tasks/KT01/progress", headers=t02).status_code == 403
    assert scoring_client.get("/api/v1/key-tasks/KT01", headers=t02).status_code == 404
    assert [t["code"] for t in scoring_client.get("/api/v1/key-tasks", headers=t02).json] == []
    assert [t["code"] for t in scoring_client.get("/api/v1/key-tasks", headers=t01).json] == [
        "KT01"]
    mixed = upload(scoring_client, "/api/v1/key-tasks/progress/import", t01, csv_bytes([
        "task,milestone,percent,status,completed_on", "KT01,2,50,done,2026-02-20",
        "CP01,1,50,done,2026-02-01"]))
    assert mixed.status_code == 403 and set(mixed.json["errors"]) == {"row 3"}
    reports = scoring_client.get("/api/v1/key-tasks/KT01/progress", headers=t01).json
    assert len(reports) == 1 and reports[0]["evidence"] == ["https://oa.example/kt01/1"]
    assert scoring_client.get("/api/v1/key-tasks/metrics?period=2026-Q1&unit=D001",
                              headers=t01).status_code == 403


def test_progress_is_validated(scoring_client, auth, task):
    t01 = auth("unit", "T01")
    assert _report(scoring_client, t01, percent=120, status="done").status_code == 422
    no_date = _report(scoring_client, t01, milestone=1, percent=20, status="done")
    assert no_date.status_code == 422 and "completed_on" in no_date.json["errors"]
    unknown = _report(scoring_client, t01, milestone=9, percent=20, status="in_progress")
    assert unknown.status_code == 422 and "milestone" in unknown.json["errors"]
    bad_rows = upload(scoring_client, "/api/v1/key-tasks/progress/import", auth("planner"),
                      csv_bytes(["task,milestone,percent,status,as_of", "KT01,1,x,done,",
                                 "KT99,1,10,done,", "KT01,,10,paused,2026-13-01"]))
    assert bad_rows.status_code == 422
    assert set(bad_rows.json["errors"]) == {"row 2", "row 3", "row 4"}
    assert set(bad_rows.json["errors"]["row 4"]) == {"status", "as_of"}
    assert scoring_client.get("/api/v1/key-tasks/KT01/progress",
                              headers=auth("analyst")).json == []


def test_on_time_rate_and_progress_lag(scoring_client, auth, task):
    rows = ["task,milestone,as_of,percent,status,completed_on",
            "KT01,1,2026-01-31,20,done,2026-01-20",     # on time
            "KT01,2,2026-02-28,40,delayed,",             # not done by 02-25
            "KT01,2,2026-03-31,60,done,2026-03-05",      # done, late
            "KT01,3,2026-03-31,60,in_progress,",
            "CP01,1,2026-02-28,50,done,2026-02-10"]      # on time, on the due day
    assert upload(scoring_client, "/api/v1/key-tasks/progress/import", auth("planner"),
                  csv_bytes(rows)).status_code == 201
    metrics = {m["unit"]: m for m in scoring_client.get(
        "/api/v1/key-tasks/metrics?period=2026-Q1", headers=auth("service")).json}
    # KT01: milestones 1-3 due in Q1, only 1 on time; planned 80 at 03-31, reported 60
    assert metrics["T01"] == {"unit": "T01", "period": "2026-Q1", "tasks": 1,
                              "milestones_due": 3, "milestones_on_time": 1,
                              "on_time_rate": pytest.approx(1 / 3), "progress_lag": 20.0}
    # CP01: milestone 1 due and met; plan 50 by 03-31 (1 of 2 milestones), reported 50
    assert metrics["D001"]["on_time_rate"] == 1.0 and metrics["D001"]["progress_lag"] == 0.0
    february = {m["unit"]: m for m in scoring_client.get(
        "/api/v1/key-tasks/metrics?period=2026-02", headers=auth("analyst")).json}
    assert february["T01"]["milestones_due"] == 1 and february["T01"]["on_time_rate"] == 0.0
    assert february["T01"]["progress_lag"] == 10.0  # planned 50, reported 40 as of 02-28
    june = scoring_client.get("/api/v1/key-tasks/metrics?period=2026-06&unit=T01",
                              headers=auth("unit", "T01")).json
    assert june[0]["milestones_due"] == 0 and june[0]["on_time_rate"] is None
    assert june[0]["progress_lag"] == 40.0  # planned 100 since April, reported 60


def test_task_export_lists_milestones(scoring_client, auth, task):
    body = scoring_client.get("/api/v1/key-tasks/export", headers=auth("analyst")).data
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == ("task,title_zh,title_en,category,unit,leader,cadence,milestone,"
                        "milestone_title,due_on,planned_percent")
    assert len(lines) == 1 + 4 + 2 and lines[1].startswith("CP01,招商引资")


def test_progress_retry_with_the_same_key_is_stored_once(scoring_client, auth, task):
    headers = {**auth("unit", "T01"), "Idempotency-Key": "p-1"}
    body = {"milestone": 1, "percent": 20, "status": "done", "completed_on": "2026-01-20"}
    first = _report(scoring_client, headers, **body)
    second = _report(scoring_client, headers, **body)
    assert first.status_code == second.status_code == 201
    assert second.json["id"] == first.json["id"] and second.json["completed_on"] == "2026-01-20"
    assert len(scoring_client.get("/api/v1/key-tasks/KT01/progress", headers=headers).json) == 1


def test_progress_import_reads_percent_by_the_one_number_rule(scoring_client, auth, task):
    planner = auth("planner")
    missing = upload(scoring_client, "/api/v1/key-tasks/progress/import", planner, csv_bytes([
        "task,milestone,percent,status,completed_on", "KT01,1,NA,in_progress,"]))
    assert missing.status_code == 422
    assert "is required" in missing.json["errors"]["row 2"]["percent"]
    ok = upload(scoring_client, "/api/v1/key-tasks/progress/import", planner, csv_bytes([
        "task,milestone,percent,status,completed_on", "KT01,1,20%,done,2026-01-20"]))
    assert ok.status_code == 201, ok.json
    reports = scoring_client.get("/api/v1/key-tasks/KT01/progress", headers=planner).json
    assert [r["percent"] for r in reports] == [20.0]


def test_key_task_import_good_and_bad(scoring_client, auth):
    headers = seed(scoring_client, auth)
    header = "task,title_zh,title_en,category,unit,leader,milestone,due_on,planned_percent"
    good = [header, "KT01,招商,Investment,key_task,T01,张县长,1,2026-01-28,10",
            "KT01,招商,Investment,key_task,T01,张县长,2,2026-02-25,30",
            "CP01,污水厂,Sewage plant,city_project,D001,李副县长,1,2026-03-28,"]
    response = upload(scoring_client, "/api/v1/key-tasks/import", headers, csv_bytes(good))
    assert response.status_code == 200 and response.json == {"tasks": 2, "milestones": 3}
    task = scoring_client.get("/api/v1/key-tasks/CP01", headers=headers).json
    assert task["milestones"][0]["planned_percent"] == 100.0
    bad = [header, "KT02,甲,A,key_task,T01,,1,2026-01-28,10",
           "KT02,甲,A,major_matter,T01,,2,2026-02-28,20",
           "KT02,甲,A,key_task,T01,,2,2026-03-28,30",
           "KT03,乙,B,key_task,T99,,1,2026-13-01,x",
           "KT04,丙,C,key_task,T01,,1,2026-03-01,50",
           "KT04,丙,C,key_task,T01,,2,2026-02-01,40"]
    response = upload(scoring_client, "/api/v1/key-tasks/import", headers, csv_bytes(bad))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "differs from row 2" in errors["row 3"]["category"][0]
    assert "duplicate milestone 2" in errors["row 4"]["milestone"][0]
    assert set(errors["row 5"]) >= {"due_on", "planned_percent", "unit"}
    assert any("before" in r for r in errors["row 6"]["milestones"])
    codes = [t["code"] for t in scoring_client.get("/api/v1/key-tasks", headers=headers).json]
    assert codes == ["CP01", "KT01"]
