"""End to end over real HTTP: the scoring registry (the real app) provides townships and
margins; residents answer one-time links by fetching and posting the HTML pages."""

import json
import random

import requests

from services.demo.web_poll import DOCUMENT, Resident, answer_link
from tests.support import serving
from tests.survey.conftest import poll_payload


def test_web_poll_end_to_end_with_the_scoring_registry(make_app, auth, scoring_url):
    survey = make_app("survey", SCORING_URL=scoring_url,
                      PUBLIC_BASE_URL="https://survey.example.gov.cn/survey")
    with serving(survey) as survey_url:
        api = requests.Session()
        api.headers.update(auth("planner"))
        made = api.post(survey_url + "/api/v1/questionnaires", json={
            "code": "WEB", "title_zh": "问卷", "title_en": "Questionnaire", "document": DOCUMENT})
        assert made.status_code == 201
        qid = made.json()["id"]
        unknown = api.post(survey_url + "/api/v1/polls", json=poll_payload(
            qid, townships=[{"code": "T01"}, {"code": "T99"}]))
        assert unknown.status_code == 422 and "T99" in unknown.json()["errors"]["townships"][0]
        poll = api.post(survey_url + "/api/v1/polls", json=poll_payload(qid, modes=["web"])).json()
        assert api.post(f"{survey_url}/api/v1/polls/{poll['id']}/open").status_code == 200
        rng = random.Random(11)
        outcomes = []
        for township, count in (("T01", 14), ("T02", 10)):
            links = api.post(f"{survey_url}/api/v1/polls/{poll['id']}/links",
                             json={"count": count, "township": township}).json()["links"]
            assert links[0]["url"].startswith("https://survey.example.gov.cn/survey/r/")
            for link in links:
                resident = Resident(random.Random(rng.random()), mood=0.7)
                resident.breaks_off_at = None
                with requests.Session() as http:
                    outcomes.append(answer_link(http, survey_url + "/r/" + link["token"],
                                                resident.choose))
        assert outcomes == ["complete"] * 24
        assert api.post(f"{survey_url}/api/v1/polls/{poll['id']}/close").status_code == 200
        margins = api.get(f"{survey_url}/api/v1/polls/{poll['id']}/margins").json()
        assert {m["township"] for m in margins} == {"T01", "T02"} and len(margins) == 12
        analyst = {"Authorization": auth("service")["Authorization"]}
        estimates = requests.get(f"{survey_url}/api/v1/polls/{poll['id']}/estimates",
                                 headers=analyst).json()
        assert estimates["method"]["raking"]["applied"] is True
        assert estimates["method"]["raking"]["converged"] is True, json.dumps(estimates["method"])
        rates = [r for r in estimates["rows"] if r["statistic"] == "satisfaction_rate"
                 and r["question"] == "sat_overall"]
        assert [r["township"] for r in rates] == ["T01", "T02"]
        assert all(r["n"] <= c for r, c in zip(rates, (14, 10), strict=True))
        assert all(0 <= r["ci_low"] <= r["estimate"] <= r["ci_high"] <= 1 for r in rates)
        sex = [r for r in estimates["rows"] if r["question"] == "sex" and r["category"] == "1"]
        assert abs(sex[0]["estimate"] - 0.52) < 1e-8 and abs(sex[1]["estimate"] - 0.5) < 1e-8
