"""What a run collects: poll estimates (pooled by inverse variance, the Agresti–Coull SE of
a degenerate rate), inspection scores (visit-score SDs moderated toward the window's
common spread) and the unit's own data, over HTTP with a service token; a source that is
down fails the run naming it or is skipped by policy.

One test runs against the real survey and inspection apps, all over real HTTP:
scoring (with the small county) is served on a loopback port and is the registry the
survey and inspection apps read; a paper-mode poll gives survey estimates, approved
spot checks give inspection scores; the run pulls both with its service token.
"""

from __future__ import annotations

import copy
import io
import math

import pytest

from tests.inspection.conftest import CHECKLIST, PNG, Api, good_answers
from tests.scoring.run_support import start_run
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


def test_mid_year_run_pulls_every_source_over_http(midyear, sources, county):
    _survey, _inspection, log = sources
    assert log.roles == {"service"}
    assert [c for c in log.calls if "unit-scores" in c] == [
        "inspection /api/v1/unit-scores?from=2026-01-01&to=2026-03-31",
        "inspection /api/v1/unit-scores?from=2026-04-01&to=2026-06-30",
        "inspection /api/v1/unit-scores?from=2026-01-01&to=2026-06-30"]
    assert midyear["state"] == "computed" and midyear["units"] == len(county["units"])
    assert midyear["sources"]["survey"] == {"status": "ok", "polls": [1, 2]}
    blend = midyear["method"]["blend"]
    assert (blend["day_to_day"], blend["snapshot"]) == (0.7, 0.3)
    assert blend["day_to_day_periods"] == ["2026-Q1", "2026-Q2"]
    quarters = midyear["method"]["segments"]
    assert "poll_satisfaction" in quarters[0]["pruned"]  # no poll in a quarter
    assert midyear["method"]["final"]["excluded_by_kind"]["G01"] == ["poll_satisfaction"]


def test_polls_are_pooled_by_inverse_variance(runs_client, midyear, auth):
    inputs = runs_client.get(f"/api/v1/runs/{midyear['id']}/inputs", headers=auth("analyst")).json
    snapshot = next(s for s in inputs["segments"] if s["role"] == "snapshot")
    value, se = next((r[3], r[4]) for r in snapshot["rows"]
                     if r[0] == "T02" and r[1] == "poll_satisfaction")
    # Stub: T02 (i = 1) answers q_other first: 0.625 − 0.2 (+0.01 in poll 2).
    rates, ses = [0.425, 0.435], [0.032 + 0.01, 0.032 + 0.02]
    precision = [1 / s ** 2 for s in ses]
    pooled = sum(p * r for p, r in zip(precision, rates, strict=True)) / sum(precision)
    assert value == pytest.approx(pooled, abs=1e-12)
    assert se == pytest.approx(1 / math.sqrt(sum(precision)), abs=1e-12)


def test_a_missing_source_fails_naming_it_or_is_skipped_by_policy(
        make_app, auth, county, sources):
    runs_client = make_app("scoring", SURVEY_URL=sources[0], INSPECTION_URL=sources[1],
                           SCORING_SOURCE_RETRIES=0).test_client()
    sources[2].inspection_down = True
    failed = start_run(runs_client, auth, county)
    assert failed.status_code == 503
    assert failed.json["errors"] == {"service": ["inspection"]}
    assert "inspection" in failed.json["message"]
    assert runs_client.get("/api/v1/runs", headers=auth("planner")).json == []
    skipped = start_run(runs_client, auth, county, missing_source="skip")
    assert skipped.status_code == 201, skipped.json
    assert skipped.json["sources"]["inspection"]["status"] == "skipped"
    assert "inspection_score" in skipped.json["method"]["final"]["pruned"]


def test_an_unreachable_survey_service_is_a_503_naming_it(make_app, auth, county):
    app = make_app("scoring", SURVEY_URL="http://127.0.0.1:9", INSPECTION_URL="http://127.0.0.1:9",
                   SCORING_SOURCE_RETRIES=0)
    response = start_run(app.test_client(), auth, county)
    assert response.status_code == 503
    assert response.json["errors"] == {"service": ["survey"]}


def test_a_degenerate_rate_gets_the_agresti_coull_se():
    from services.scoring.run_inputs import usable_se

    row = {"estimate": 1.0, "se": 0.0, "n": 12, "n_eff": 8.0}
    p = (8 + 2) / 12
    assert usable_se(row, "satisfaction_rate") == pytest.approx(math.sqrt(p * (1 - p) / 12))
    assert usable_se({**row, "se": 0.05}, "satisfaction_rate") == 0.05
    assert usable_se({**row, "se": None}, "mean") is None


def test_single_visits_take_the_pooled_within_unit_sd():
    import statistics

    from services.scoring.run_inputs import pooled_sd

    visits = {"A": [70.0, 80.0, 90.0], "B": [60.0, 64.0], "C": [75.0]}
    rows = [{"unit": u, "n": len(v), "mean": statistics.fmean(v),
             "sd": statistics.stdev(v) if len(v) > 1 else None} for u, v in visits.items()]
    deviations = [x - statistics.fmean(v) for v in visits.values() if len(v) > 1 for x in v]
    expected = math.sqrt(sum(d * d for d in deviations) / (5 - 2))
    assert pooled_sd(rows) == pytest.approx(expected, rel=1e-12)
    assert pooled_sd([rows[2]]) is None


def test_visit_score_ses_use_the_moderated_sd():
    import statistics

    from services.scoring.engine.variance import squeeze
    from services.scoring.run_inputs import visit_score_ses

    visits = {"A": [70.0, 80.0, 90.0], "B": [60.0, 64.0], "C": [75.0], "D": [88.0, 88.0],
              "E": [81.0, 95.0, 77.0, 90.0]}
    rows = [{"unit": u, "n": len(v), "mean": statistics.fmean(v),
             "sd": statistics.stdev(v) if len(v) > 1 else None} for u, v in visits.items()]
    ses = visit_score_ses(rows)
    s2 = [statistics.variance(v) if len(v) > 1 else math.nan for v in visits.values()]
    df = [len(v) - 1.0 for v in visits.values()]
    fitted = squeeze(s2, df)
    scale = fitted.t_scale()
    for se, post, t, v in zip(ses, fitted.variance, scale, visits.values(), strict=True):
        assert se == pytest.approx(math.sqrt(post / len(v)) * t, rel=1e-12)
    # one visit: the prior spread; identical scores (sd 0) are squeezed up, not kept at 0
    assert ses[2] == pytest.approx(math.sqrt(fitted.prior_variance) * scale[2], rel=1e-12)
    assert ses[3] > 0


def test_visit_score_ses_keep_the_plain_rule_with_too_few_spreads():
    from services.scoring.run_inputs import visit_score_ses

    rows = [{"unit": "A", "n": 3, "mean": 80.0, "sd": 6.0},
            {"unit": "B", "n": 1, "mean": 70.0, "sd": None},
            {"unit": "C", "n": 0, "mean": None, "sd": None}]
    assert visit_score_ses(rows) == [pytest.approx(6.0 / math.sqrt(3)),
                                     pytest.approx(6.0), None]
    assert visit_score_ses([rows[1]]) == [None]
