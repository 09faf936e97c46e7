"""Self-checks: unit scoping, the contract read, late flag, corrections, closed periods."""

import csv
import io

import pytest

from tests.scoring.scoring_intake_support import SC_HEADER, csv_bytes, seed, upload, xlsx

CONTRACT_KEYS = {"unit", "period", "indicator", "target", "actual", "unit_of_measure",
                 "version"}


def _submit(client, headers, unit="T01", period="2026-06", reason="", **item):
    body = {"unit": unit, "period": period, "reason": reason,
            "items": [{"indicator": "sc_rate", "target": 90, "actual": 91, **item}]}
    return client.post("/api/v1/self-checks", json=body, headers=headers)


def test_a_unit_writes_and_reads_only_its_own_unit(scoring_client, auth):
    seed(scoring_client, auth)
    t01 = auth("unit", "T01")
    response = _submit(scoring_client, t01, narrative="完成", evidence=["https://oa.example/1"])
    assert response.status_code == 201 and response.json["values"] == 1
    denied = _submit(scoring_client, t01, unit="T02")
    assert denied.status_code == 403 and "T01" in denied.json["errors"]["items[0]"]["unit"][0]
    upload_denied = upload(scoring_client, "/api/v1/self-checks/import?period=2026-06", t01,
                           csv_bytes(["unit,indicator,target,actual", "T01,sc_count,0,0",
                                      "T02,sc_rate,90,90"]))
    assert upload_denied.status_code == 403 and set(upload_denied.json["errors"]) == {"row 3"}
    assert _submit(scoring_client, auth("unit", "T02"), unit="T02").status_code == 201
    own = scoring_client.get("/api/v1/self-checks?period=2026-06", headers=t01).json
    assert [(r["unit"], r["indicator"]) for r in own] == [("T01", "sc_rate")]
    assert set(own[0]) == CONTRACT_KEYS
    for path in ("/api/v1/self-checks?unit=T02", "/api/v1/self-checks/history?unit=T02"):
        assert scoring_client.get(path, headers=t01).status_code == 403
    everyone = scoring_client.get("/api/v1/self-checks?period=2026-06",
                                  headers=auth("service")).json
    assert [r["unit"] for r in everyone] == ["T01", "T02"]
    in_use = scoring_client.delete("/api/v1/units/T01", headers=auth("planner"))
    assert in_use.status_code == 409 and "active_to" in in_use.json["message"]
    assert scoring_client.get("/api/v1/self-checks", headers=auth("inspector")).status_code == 403


@pytest.mark.parametrize("role", ["service", "planner", "analyst"])
def test_contract_read_returns_current_versions(scoring_client, auth, role):
    headers = seed(scoring_client, auth)
    _submit(scoring_client, headers, target=90, actual=88)
    _submit(scoring_client, headers, reason="figure corrected", target=90, actual=93)
    rows = scoring_client.get("/api/v1/self-checks?unit=T01&period=2026-06",
                              headers=auth(role)).json
    assert rows == [{"unit": "T01", "period": "2026-06", "indicator": "sc_rate",
                     "target": 90.0, "actual": 93.0, "unit_of_measure": "%", "version": 2}]


def test_corrections_need_a_reason_and_keep_history(scoring_client, auth):
    seed(scoring_client, auth)
    t01 = auth("unit", "T01", sub="reporter-1")
    assert _submit(scoring_client, t01, actual=80).status_code == 201
    again = _submit(scoring_client, t01, actual=85)
    assert again.status_code == 409
    assert "needs a reason" in again.json["errors"]["items[0]"]["reason"][0]
    fixed = _submit(scoring_client, t01, reason="漏填一项 / missed an item", actual=85)
    assert fixed.status_code == 201 and fixed.json["corrections"] == 1
    third = upload(scoring_client, "/api/v1/self-checks/import?period=2026-06", t01,
                   csv_bytes(["unit,indicator,target,actual,reason",
                              "T01,sc_rate,90,86,finance review"]))
    assert third.status_code == 201
    history = scoring_client.get(
        "/api/v1/self-checks/history?period=2026-06&indicator=sc_rate", headers=t01).json
    assert [(h["version"], h["actual"], h["current"], h["reason"]) for h in history] == [
        (1, 80.0, False, None), (2, 85.0, False, "漏填一项 / missed an item"),
        (3, 86.0, True, "finance review")]
    assert {h["submitted_by"] for h in history} == {"reporter-1"}
    current = scoring_client.get("/api/v1/self-checks/history?current=true&unit=T01",
                                 headers=auth("analyst")).json
    assert [h["version"] for h in current] == [3]


def test_late_flag_follows_the_period_deadline(scoring_client, auth):
    planner = seed(scoring_client, auth)
    scoring_client.patch("/api/v1/periods/2026-05", headers=planner,
                         json={"deadline": "2020-01-01T00:00:00+00:00"})
    scoring_client.patch("/api/v1/periods/2026-06", headers=planner,
                         json={"deadline": "2099-01-01T00:00:00+00:00"})
    t01 = auth("unit", "T01")
    assert _submit(scoring_client, t01, period="2026-05").json["late"] == 1
    assert _submit(scoring_client, t01, period="2026-06").json["late"] == 0
    late = {h["period"]: h["late"] for h in scoring_client.get(
        "/api/v1/self-checks/history?unit=T01", headers=t01).json}
    assert late == {"2026-05": True, "2026-06": False}
    backfill = upload(scoring_client, "/api/v1/self-checks/import?period=2026-04", planner,
                      csv_bytes(["unit,indicator,target,actual,submitted_at",
                                 "T02,sc_rate,1,1,2026-05-01T09:00:00+08:00",
                                 "D001,sc_rate,1,1,2026-05-30T09:00:00+08:00"]))
    assert backfill.status_code == 201 and backfill.json["late"] == 1
    denied = upload(scoring_client, "/api/v1/self-checks/import?period=2026-04", t01,
                    csv_bytes(["unit,indicator,target,actual,submitted_at",
                               "T01,sc_rate,1,1,2026-05-01T09:00:00+08:00"]))
    assert denied.status_code == 403 and "submitted_at" in denied.json["errors"]["row 2"]


def test_a_closed_period_takes_only_corrections_with_a_reason(scoring_client, auth):
    planner = seed(scoring_client, auth)
    t01 = auth("unit", "T01")
    _submit(scoring_client, t01, period="2026-03", actual=70)
    scoring_client.patch("/api/v1/periods/2026-03", headers=planner, json={"state": "closed"})
    new = _submit(scoring_client, t01, period="2026-03", indicator="sc_count", target=0, actual=1)
    assert new.status_code == 409 and "closed" in new.json["errors"]["items[0]"]["period"][0]
    fix = _submit(scoring_client, t01, period="2026-03", reason="审计后更正", actual=72)
    assert fix.status_code == 201
    late_entry = _submit(scoring_client, t01, period="2026-03", reason="补报 / late entry",
                         indicator="sc_count", target=0, actual=1)
    assert late_entry.status_code == 201
    rows = scoring_client.get("/api/v1/self-checks?unit=T01&period=2026-03", headers=t01).json
    assert [(r["indicator"], r["actual"], r["version"]) for r in rows] == [
        ("sc_count", 1.0, 1), ("sc_rate", 72.0, 2)]


def test_submission_validation_is_all_or_nothing(scoring_client, auth):
    seed(scoring_client, auth)
    body = {"unit": "T01", "period": "2026-06", "items": [
        {"indicator": "sc_rate", "target": 90, "actual": 91},
        {"indicator": "sc_count", "target": 0, "actual": -2},
        {"indicator": "sc_rate", "target": 1, "actual": 1, "unit_of_measure": "kg"},
        {"indicator": "zz", "actual": 1}]}
    response = scoring_client.post("/api/v1/self-checks", json=body, headers=auth("unit", "T01"))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"items[1]", "items[2]", "items[3]"}
    assert "unit_of_measure" in errors["items[2]"] and "indicator" in errors["items[2]"]
    assert scoring_client.get("/api/v1/self-checks", headers=auth("analyst")).json == []
    schema = scoring_client.post("/api/v1/self-checks", headers=auth("planner"), json={
        "unit": "T01", "period": "2026-06", "items": [{"indicator": "sc_rate"}]})
    assert schema.status_code == 422 and "items" in schema.json["errors"]["json"]
    delta = scoring_client.post("/api/v1/self-checks", headers=auth("unit", "T02"), json={
        "unit": "T02", "period": "2026-06",
        "items": [{"indicator": "sc_delta", "target": 1, "actual": -0.4}]})
    assert delta.status_code == 201  # allow_negative


def test_completeness_counts_expected_values_by_kind(scoring_client, auth):
    planner = seed(scoring_client, auth)
    upload(scoring_client, "/api/v1/self-checks/import?period=2026-01", planner, csv_bytes([
        "unit,indicator,target,actual,submitted_at",
        "T01,sc_rate,1,1,2026-02-01T00:00:00+00:00", "T01,sc_count,1,1,2026-02-01T00:00:00+00:00",
        "T01,sc_delta,1,1,2026-02-01T00:00:00+00:00",
        "D001,sc_rate,1,1,2026-03-01T00:00:00+00:00"]))
    upload(scoring_client, "/api/v1/self-checks/import?period=2026-01", planner, csv_bytes([
        "unit,indicator,target,actual,reason", "T01,sc_rate,1,2,fix"]))
    report = scoring_client.get("/api/v1/self-checks/completeness?period=2026-Q1",
                                headers=auth("analyst")).json
    january = report["months"][0]
    # townships: 3 indicators each (sc_delta is township-only); the department: 2.
    # Late: D001 (after 2026-02-10) and T01's correction, sent now.
    assert january == {"period": "2026-01", "defined": True, "units": 3, "expected_values": 8,
                       "units_reporting": 2, "values": 4, "late": 2, "corrected": 1,
                       "units_late": 2, "completeness": 0.5}
    assert [m["values"] for m in report["months"]] == [4, 0, 0]


def test_a_retried_write_with_an_idempotency_key_is_not_applied_twice(scoring_client, auth):
    seed(scoring_client, auth)
    t01 = {**auth("unit", "T01"), "Idempotency-Key": "6f1c0c1e-2f52-4b8e-9a8f-1"}
    first = _submit(scoring_client, t01, reason="fix", actual=77)
    again = _submit(scoring_client, t01, reason="fix", actual=77)
    assert first.status_code == again.status_code == 201 and again.json == first.json
    changed = _submit(scoring_client, t01, reason="fix", actual=78)
    assert changed.status_code == 409
    content = csv_bytes(["unit,indicator,target,actual", "T01,sc_count,0,2"])
    key = {**t01, "Idempotency-Key": "upload-1"}
    path = "/api/v1/self-checks/import?period=2026-06"
    assert upload(scoring_client, path, key, content).json == \
        upload(scoring_client, path, key, content).json
    rows = scoring_client.get("/api/v1/self-checks/history?unit=T01", headers=t01).json
    assert [(r["indicator"], r["version"]) for r in rows] == [("sc_count", 1), ("sc_rate", 1)]


def test_self_check_month_upload_good_and_bad(scoring_client, auth):
    headers = seed(scoring_client, auth)
    good = [SC_HEADER, "T01,sc_rate,90,92.5,%,按计划,https://oa.example/1 https://oa.example/2",
            "T01,sc_count,0,1,,,", "T02,sc_delta,1,-0.5,pp,,", "D001,sc_rate,80,\"1,234\",%,,"]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-03", headers,
                      csv_bytes(good, "gbk"))
    assert response.status_code == 201, response.json
    assert response.json["values"] == 4 and response.json["units"] == 3
    history = scoring_client.get("/api/v1/self-checks/history?unit=T01&period=2026-03",
                                 headers=headers).json
    rate = next(r for r in history if r["indicator"] == "sc_rate")
    assert rate["evidence"] == ["https://oa.example/1", "https://oa.example/2"]
    assert rate["narrative"] == "按计划"
    count = next(r for r in history if r["indicator"] == "sc_count")
    assert count["unit_of_measure"] == "count"
    bad = [SC_HEADER,
           "T01,sc_rate,90,91,%,,",
           "T99,sc_rate,90,91,%,,",
           "T02,sc_unknown,1,1,,,",
           "T02,sc_rate,90,91,kg,,",
           "T02,sc_count,0,-1,,,",
           "D001,sc_rate,abc,,%,,",
           "T01,sc_rate,90,93,%,,",
           "T02,sc_delta,1,2,pp,,ftp://x",
           "T02,dir_env,1,2,,,"]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-04", headers,
                      csv_bytes(bad))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "row 2" not in errors
    assert "unknown unit" in errors["row 3"]["unit"][0]
    assert "unknown self-check indicator" in errors["row 4"]["indicator"][0]
    assert "measured in '%'" in errors["row 5"]["unit_of_measure"][0]
    assert "cannot be negative" in errors["row 6"]["actual"][0]
    assert set(errors["row 7"]) == {"target", "actual"}
    assert errors["row 8"]["indicator"] == ["duplicate of row 2"]
    assert "web link" in errors["row 9"]["evidence"][0]
    assert "indicator" in errors["row 10"]
    assert scoring_client.get("/api/v1/self-checks?period=2026-04", headers=headers).json == []


def test_self_check_xlsx_upload_and_formula_cells(scoring_client, auth):
    headers = seed(scoring_client, auth)
    rows = [SC_HEADER.split(","), ["T01", "sc_rate", 90, 95.5, "%", "好", None],
            ["T02", "sc_rate", 90, "=B2*2", "%", None, None]]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-05", headers,
                      xlsx(rows), "month.xlsx")
    assert response.status_code == 422
    assert any("formulas" in r for r in response.json["errors"]["row 3"]["actual"])
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-05", headers,
                      xlsx(rows[:2]), "month.xlsx")
    assert response.status_code == 201
    current = scoring_client.get("/api/v1/self-checks?period=2026-05", headers=headers).json
    assert current == [{"unit": "T01", "period": "2026-05", "indicator": "sc_rate",
                        "target": 90.0, "actual": 95.5, "unit_of_measure": "%", "version": 1}]


def test_self_check_upload_needs_a_defined_month(scoring_client, auth):
    headers = seed(scoring_client, auth)
    line = csv_bytes([SC_HEADER, "T01,sc_rate,90,91,%,,"])
    assert upload(scoring_client, "/api/v1/self-checks/import?period=2027-01", headers,
                  line).status_code == 404
    assert upload(scoring_client, "/api/v1/self-checks/import?period=2026-13", headers,
                  line).status_code == 422
    quarter = upload(scoring_client, "/api/v1/self-checks/import?period=2026-Q1", headers, line)
    assert quarter.status_code == 422 and "period" in quarter.json["errors"]["row 1"]


def test_self_check_export_is_guarded_and_scoped(scoring_client, auth):
    headers = seed(scoring_client, auth)
    upload(scoring_client, "/api/v1/self-checks/import?period=2026-01", headers, csv_bytes(
        [SC_HEADER, "T01,sc_rate,90,91,%,@SUM(1),", "T02,sc_rate,90,80,%,,"]))
    mine = scoring_client.get("/api/v1/self-checks/export?period=2026-01",
                              headers=auth("unit", "T01"))
    rows = list(csv.DictReader(io.StringIO(mine.data.decode("utf-8-sig"))))
    assert [r["unit"] for r in rows] == ["T01"] and rows[0]["narrative"] == "'@SUM(1)"
    assert scoring_client.get("/api/v1/self-checks/export?unit=T02",
                              headers=auth("unit", "T01")).status_code == 403


def test_the_indicators_a_unit_reports_with_unit_of_measure_and_range(scoring_client, auth):
    seed(scoring_client, auth)
    path = "/api/v1/self-checks/indicators"
    township = scoring_client.get(path, headers=auth("unit", "T01"))
    assert township.status_code == 200
    assert [(i["id"], i["unit_of_measure"], i["minimum"], i["maximum"])
            for i in township.json] == [("sc_count", "count", 0.0, None),
                                        ("sc_delta", "pp", None, None),
                                        ("sc_rate", "%", 0.0, None)]
    department = scoring_client.get(path, headers=auth("unit", "D001")).json
    assert [i["id"] for i in department] == ["sc_count", "sc_rate"]     # sc_delta: townships
    everything = scoring_client.get(path, headers=auth("planner")).json
    assert [i["id"] for i in everything] == ["sc_count", "sc_delta", "sc_rate"]
    assert everything[1]["kinds"] == ["township"] and everything[1]["allow_negative"] is True
    assert scoring_client.get(f"{path}?unit=T02", headers=auth("unit", "T01")).status_code == 403
    assert scoring_client.get(f"{path}?unit=NOPE", headers=auth("planner")).status_code == 404
    assert scoring_client.get(path, headers=auth("inspector")).status_code == 403
