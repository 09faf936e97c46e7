"""The two endpoints scoring reads (docs/CONTRACTS.md) and the spreadsheet exports."""

import io
import statistics

from openpyxl import load_workbook

from tests.inspection.inspection_support import PNG, good_answers

# The plans' window is June 2026: visits checked in later count for its last day.
WINDOW = "from=2026-06-01&to=2026-06-30"


def _visit(api, plan_id, index, answers, approve=False):
    visit = api.visits(plan_id)[index]
    api.check_in(visit["id"])
    api.attach(visit["id"], PNG)
    api.submit(visit["id"], answers=answers)
    if approve:
        api.call("POST", f"/visits/{visit['id']}/review", json={"decision": "approve"})
    return visit["id"]


def _three_visits(api):
    template = api.checklist()
    plan = api.plan(template["id"], targets=("T01", "T02"))
    again = api.plan(template["id"], targets=("T01",))
    # T01: 100 vs 100 (ok) → (2 + 8 + 1)/13; T02: 60 vs 50 → 20 % off, fail → (2 + 8)/13
    _visit(api, plan["id"], 0, good_answers(trees=100), approve=True)
    _visit(api, plan["id"], 1, good_answers(trees=60))
    # T01 again: fire exit fails (critical) and trees 85 vs 100 → capped at 60, raw 8/13
    _visit(api, again["id"], 0, good_answers(trees=85, fire="fail"))
    return template


def test_unit_scores_contract(api):
    _three_visits(api)
    rows = api.call("GET", f"/unit-scores?{WINDOW}", role="service")
    t01 = [100 * 11 / 13, 60.0]  # the second is capped: raw 8/13 = 61.5 > 60
    assert [r["unit"] for r in rows] == ["T01", "T02"]
    assert set(rows[0]) == {"unit", "n", "mean", "sd", "min", "max", "rule_version"}
    assert rows[0]["rule_version"] == "insp-score-v1"
    assert rows[0]["n"] == 2
    assert abs(rows[0]["mean"] - statistics.fmean(t01)) < 1e-9
    assert abs(rows[0]["sd"] - statistics.stdev(t01)) < 1e-9
    assert rows[1]["n"] == 1 and abs(rows[1]["mean"] - 100 * 10 / 13) < 1e-9
    assert rows[1]["sd"] is None
    empty = api.call("GET", "/unit-scores?from=2020-01-01&to=2020-01-31", role="analyst")
    assert empty == []


def test_discrepancy_rates_contract(api):
    _three_visits(api)
    rows = api.call("GET", f"/discrepancy-rates?{WINDOW}", role="service")
    assert rows == [{"unit": "T01", "checked": 2, "discrepant": 1, "rate": 0.5},
                    {"unit": "T02", "checked": 1, "discrepant": 1, "rate": 1.0}]
    detail = api.call("GET", f"/discrepancies?{WINDOW}", role="analyst")
    assert {(r["unit"], r["inspected"], r["self_reported"], r["discrepant"]) for r in detail} == {
        ("T01", 100, 100, False), ("T02", 60, 50, True), ("T01", 85, 100, True)}
    assert all(r["period"] == "2026-06" and r["unit_of_measure"] == "mu" for r in detail)


def test_returned_visit_does_not_count(api):
    template = api.checklist()
    plan = api.plan(template["id"], targets=("T01",))
    visit_id = _visit(api, plan["id"], 0, good_answers())
    api.call("POST", f"/visits/{visit_id}/review",
             json={"decision": "return", "comment": "redo"})
    assert api.call("GET", f"/unit-scores?{WINDOW}", role="service") == []


def test_window_is_validated_and_roles_enforced(api):
    errors = api.call("GET", "/unit-scores?from=2026-06-30&to=2026-06-01", expect=422)
    assert "to" in errors["errors"]["query"]
    api.call("GET", f"/unit-scores?{WINDOW}", role="unit", unit="T01", expect=403)


def test_visit_scores_export(api):
    _three_visits(api)
    xlsx = api.call("GET", f"/visit-scores?{WINDOW}&format=xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["visit_id", "plan_id", "plan_kind", "unit"]
    assert sheet.max_row == 4
    csv_text = api.call("GET", f"/visit-scores?{WINDOW}&format=csv").data.decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 4 and "insp-score-v1" in csv_text


def test_finding_counts_by_severity(api):
    template = api.checklist()
    plan = api.plan(template["id"], targets=("T01", "T02"))
    first, second = api.visits(plan["id"])[:2]
    for visit, findings in ((first, [{"severity": "minor", "description": "litter"},
                                     {"severity": "critical", "description": "exit"}]),
                            (second, [{"severity": "major", "description": "gap"}])):
        api.check_in(visit["id"])
        api.attach(visit["id"], PNG)
        api.submit(visit["id"], answers=good_answers(), findings=findings)
    rows = api.call("GET", f"/finding-counts?{WINDOW}", role="service")
    by_unit = {r["unit"]: r for r in rows}
    assert by_unit[first["unit"]] == {"unit": first["unit"], "visits": 1, "minor": 1,
                                      "major": 0, "critical": 1, "findings": 2}
    assert by_unit[second["unit"]]["major"] == 1 and by_unit[second["unit"]]["findings"] == 1
    assert api.call("GET", "/finding-counts?from=2020-01-01&to=2020-01-31",
                    role="analyst") == []
