"""A mid-year run against the real survey and inspection apps, all over real HTTP.

Scoring (with the small county) is served on a loopback port and is the registry the
survey and inspection apps read; a paper-mode poll gives survey estimates, approved
spot checks give inspection scores; the run pulls both with its service token.
"""

from __future__ import annotations

import copy
import io

import pytest

from tests.inspection.conftest import CHECKLIST, PNG, Api, good_answers
from tests.support import serving
from tests.survey.conftest import poll_payload, sample_document

MEASURED_FROM, MEASURED = "env.trees_area", "sc_complaints_closed"
TOWNS = ("T01", "T02", "T03", "T04")
SATISFACTION = {"T01": (5, 5, 4, 2), "T02": (1, 2, 4, 5), "T03": (4, 4, 4, 5),
                "T04": (2, 2, 1, 4)}


def _paper_poll(client, planner) -> int:
    made = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "SAT", "title_zh": "满意度", "title_en": "Satisfaction",
        "document": sample_document()})
    assert made.status_code == 201, made.get_json()
    poll = client.post("/api/v1/polls", headers=planner, json=poll_payload(
        made.get_json()["id"], modes=["paper"],
        townships=[{"code": t, "target_completes": 4} for t in TOWNS])).get_json()
    assert client.post(f"/api/v1/polls/{poll['id']}/open", headers=planner).status_code == 200
    lines = ["form_id,township,sex,age,sat,problem,solved,detail,years,services"]
    for town, answers in SATISFACTION.items():
        for i, sat in enumerate(answers):
            lines.append(f"{town}-{i},{town},{1 + i % 2},{1 + i % 3},{sat},2,,,{10 + i},1")
    uploaded = client.post(f"/api/v1/polls/{poll['id']}/paper-import", headers=planner,
                           data={"file": (io.BytesIO("\n".join(lines).encode()), "forms.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.get_json()
    return poll["id"]


def _spot_checks(api, county):
    """Approved June visits of T01 and T02 that measure the self-checked complaints rate."""
    where = {u["code"]: u for u in county["county"].units}
    checklist = copy.deepcopy(CHECKLIST)
    item = next(i for i in checklist["items"] if i["item_id"] == MEASURED_FROM)
    item.update(item_id=MEASURED, unit_of_measure="%", tolerance=0.01)
    template = api.checklist(checklist)
    plan = api.plan(template["id"], targets=("T01", "T02"))
    for index, visit in enumerate(api.visits(plan["id"])):
        unit = where[visit["unit"]]
        api.check_in(visit["id"], lat=unit["lat"], lon=unit["lon"])
        api.attach(visit["id"], PNG, item_id=MEASURED)
        answers = [{**a, "item_id": MEASURED, "value": 90.0} if a["item_id"] == MEASURED_FROM
                   else a for a in good_answers(sanitation=4.0 + 4 * index)]
        api.submit(visit["id"], answers=answers)
        api.call("POST", f"/visits/{visit['id']}/review", json={"decision": "approve"})


@pytest.fixture
def services(make_app, scoring_app, county, auth, tmp_path):
    with serving(scoring_app) as scoring_url:
        survey = make_app("survey", SCORING_URL=scoring_url, SCORING_RETRIES=0)
        inspection = make_app("inspection", SCORING_URL=scoring_url,
                              INSPECTION_EVIDENCE_DIR=str(tmp_path / "evidence"))
        poll_id = _paper_poll(survey.test_client(), auth("planner"))
        _spot_checks(Api(inspection.test_client(), auth), county)
        with serving(survey) as survey_url, serving(inspection) as inspection_url:
            scoring = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
            yield scoring.test_client(), survey.test_client(), inspection.test_client(), poll_id


def test_a_mid_year_run_reads_the_real_services(services, auth, county):
    scoring, survey, inspection, poll_id = services
    response = scoring.post("/api/v1/runs", headers=auth("planner"), json={
        "scheme_version_id": county["scheme_version_id"], "period": "2026-H1",
        "kind": "mid-year", "seed": 3, "polls": [poll_id], "draws": 100})
    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert run["sources"]["survey"] == {"status": "ok", "polls": [poll_id]}
    assert run["sources"]["inspection"] == {"status": "ok"}
    estimates = survey.get(f"/api/v1/polls/{poll_id}/estimates", headers=auth("analyst")).json
    expected = {r["township"]: r for r in estimates["rows"]
                if r["statistic"] == "satisfaction_rate" and r["question"] == "sat"}
    scores = {r["unit"]: r for r in inspection.get(
        "/api/v1/unit-scores?from=2026-01-01&to=2026-06-30", headers=auth("analyst")).json}
    assert set(scores) == {"T01", "T02"}
    for town in TOWNS:
        unit = scoring.get(f"/api/v1/runs/{run['id']}/units/{town}",
                           headers=auth("analyst")).get_json()
        cells = {i["indicator"]: i for i in unit["indicators"]}
        assert cells["poll_satisfaction"]["raw"] == expected[town]["estimate"]
        if town in scores:
            assert cells["inspection_score"]["raw"] == scores[town]["mean"]
        else:
            assert cells["inspection_score"]["raw"] is None
    rates = inspection.get("/api/v1/discrepancy-rates?from=2026-01-01&to=2026-06-30",
                           headers=auth("analyst")).json
    assert {r["unit"] for r in rates} == {"T01", "T02"}
    inputs = scoring.get(f"/api/v1/runs/{run['id']}/inputs", headers=auth("analyst")).json
    half = next(s for s in inputs["segments"] if s["period"] == "2026-H1")
    assert half["discrepancy"] == {r["unit"]: r["rate"] for r in rates}
    check = scoring.post(f"/api/v1/runs/{run['id']}/recompute", headers=auth("analyst"))
    assert check.get_json()["reproduced"] is True
