"""A small county in the real survey, scoring and inspection apps, served over HTTP and
seeded through their APIs, for the portal's home pages to read.

Dates follow the real clock (the services stamp check-ins and deadlines with it): this
month is open for self-checks, last month's run is published, this month's is computed;
a poll is in the field; an open plan runs this month and an unannounced one next month;
units T01 and T02 each have an open rectification order; T01 has a key task.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from tests.inspection.inspection_support import CHECKLIST, good_answers
from tests.scoring.scoring_intake_support import SCHEME
from tests.support import serving
from tests.survey.conftest import poll_payload, sample_document

INSPECTOR = "insp1"
PAPER = ("form_id,township,sex,age,sat,problem,solved,detail,years,services\n"
         "P001,T01,1,2,4,2,,,30,1;3\n"
         "P002,T02,2,1,5,2,,,12,2\n"
         "P003,T01,1,3,2,,,,,\n")


@dataclass
class County:
    survey_url: str
    scoring_url: str
    inspection_url: str
    today: date
    ids: dict[str, int] = field(default_factory=dict)


def _month(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


class Caller:
    """A test client that asserts each answer's status."""

    def __init__(self, client, auth):
        self.client, self.auth = client, auth

    def __call__(self, method, path, role="planner", unit=None, sub=None, expect=(200, 201),
                 **kwargs):
        response = self.client.open(f"/api/v1{path}", method=method,
                                    headers=self.auth(role, unit, sub), **kwargs)
        assert response.status_code in expect, (path, response.status_code, response.get_json())
        return response.get_json()


def seed_registry(api: Caller, today: date) -> int:
    """Peer groups, units, periods, a scheme and self-checks; the scheme version's id."""
    for code in ("TS", "G1"):
        api("POST", "/peer-groups", json={"code": code, "name_zh": f"组{code}",
                                          "name_en": f"Group {code}"})
    for code, kind, group, zh, en in (("T01", "township", "TS", "城关镇", "Chengguan"),
                                      ("T02", "township", "TS", "河西乡", "Hexi"),
                                      ("T03", "township", "TS", "东山乡", "Dongshan"),
                                      ("D001", "department", "G1", "县教育局", "Education")):
        api("POST", "/units", json={"code": code, "name_zh": zh, "name_en": en, "kind": kind,
                                    "peer_group": group, "active_from": "2020-01-01"})
    last = today.replace(day=1) - timedelta(days=1)
    for year in sorted({last.year, today.year}):
        api("POST", "/periods/year", json={"year": year})
    api("POST", "/schemes", json={"code": "s", "name_zh": "方案", "name_en": "Scheme"})
    version = api("POST", "/schemes/s/versions", json=SCHEME)["id"]
    for month, shift in ((_month(last), 0.0), (_month(today), 1.0)):
        for i, unit in enumerate(("T01", "T02", "T03", "D001")):
            items = [{"indicator": "sc_rate", "actual": 80.0 + 5 * i + shift},
                     {"indicator": "sc_count", "actual": 10.0 - i}]
            if unit != "D001":
                items.append({"indicator": "sc_delta", "actual": 1.5 * i - 1})
            if month == _month(today) and unit == "T02":
                continue  # T02 has not reported this month
            api("POST", "/self-checks", role="unit", unit=unit,
                json={"unit": unit, "period": month, "items": items})
    seed_key_task(api, today)
    return version


def seed_key_task(api: Caller, today: date) -> None:
    """A key task of T01 with two milestones, the first reported half done."""
    api("POST", "/key-tasks", json={
        "code": "KT01", "title_zh": "污水管网改造", "title_en": "Sewer network renewal",
        "category": "key_task", "unit": "T01", "leader": "李副县长", "milestones": [
            # due from next month on: this month's runs (the dashboard's) see no milestone
            # due, so no unit lacks the scheme's key-task value
            {"seq": 1, "title": "完成设计",
             "due_on": (today.replace(day=1) + timedelta(days=40)).isoformat(),
             "planned_percent": 40},
            {"seq": 2, "title": "完成施工", "due_on": (today + timedelta(days=90)).isoformat(),
             "planned_percent": 100}]})
    api("POST", "/key-tasks/KT01/progress", role="unit", unit="T01", json={
        "milestone": 1, "percent": 50, "status": "in_progress", "narrative": "设计已过半",
        "evidence": ["https://oa.example.gov.cn/kt01/design"]})


def seed_runs(api: Caller, today: date, version: int) -> dict[str, int]:
    """Two runs of last month: one published, one computed (to publish)."""
    month = _month(today.replace(day=1) - timedelta(days=1))
    runs = {}
    for name, seed in (("published", 7), ("computed", 8)):
        run = api("POST", "/runs", json={"scheme_version_id": version, "period": month,
                                         "kind": "monthly", "seed": seed, "polls": [],
                                         "draws": 0, "missing_source": "skip"})
        runs[name] = run["id"]
    api("POST", f"/runs/{runs['published']}/publish")
    return runs


def seed_survey(api: Caller, client) -> int:
    questionnaire = api("POST", "/questionnaires", json={
        "code": "SAT", "title_zh": "满意度", "title_en": "Satisfaction",
        "document": sample_document()})
    poll = api("POST", "/polls", json=poll_payload(questionnaire["id"]))
    api("POST", f"/polls/{poll['id']}/open")
    api("POST", f"/polls/{poll['id']}/links", json={"count": 2, "township": "T01"})
    response = client.post(f"/api/v1/polls/{poll['id']}/paper-import",
                           headers=api.auth("planner"), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(PAPER.encode()), "forms.csv")})
    assert response.status_code == 201, response.get_json()
    return poll["id"]


def seed_inspection(api: Caller, today: date) -> dict[str, int]:
    template = api("POST", "/checklists", json=CHECKLIST)["id"]
    start = today.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    end = nxt - timedelta(days=1)
    current = api("POST", "/plans", json={
        "name": "本月环境整治检查", "kind": "open", "template_id": template,
        "window_from": start.isoformat(), "window_to": end.isoformat(),
        "inspectors": [INSPECTOR], "targets": [{"unit": code, "inspector": INSPECTOR}
                                               for code in ("T01", "T02", "T03")]})
    upcoming = api("POST", "/plans", json={
        "name": "下月暗访", "kind": "unannounced", "template_id": template,
        "window_from": nxt.isoformat(), "window_to": (nxt + timedelta(days=20)).isoformat(),
        "inspectors": [INSPECTOR], "targets": [{"unit": "D001", "inspector": INSPECTOR}]})
    visits = {v["unit"]: v["id"] for v in api("GET", f"/plans/{current['id']}/visits")}
    orders = {}
    for unit in ("T01", "T02"):
        visit = visits[unit]
        api("POST", f"/visits/{visit}/check-in", role="inspector", sub=INSPECTOR,
            json={"lat": 30.0, "lon": 120.0, "accuracy_m": 8, "provider": "gps",
                  "mock_location": False})
        answers = [a for a in good_answers() if a["item_id"] != "env.trees_area"]
        answers.append({"item_id": "env.trees_area", "result": "na"})
        done = api("POST", f"/visits/{visit}/submit", role="inspector", sub=INSPECTOR, json={
            "client_uuid": str(uuid.uuid4()), "answers": answers,
            "findings": [{"severity": "major", "item_id": "env.sanitation",
                          "description": f"{unit} 垃圾未及时清运"}]})
        finding = done["version"]["findings"][0]["id"]
        orders[unit] = api("POST", "/orders", json={
            "finding_id": finding, "deadline": (today + timedelta(days=10)).isoformat(),
            "instructions": f"{unit}：十日内完成垃圾清运并上传照片"})["id"]
    return {"plan_current": current["id"], "plan_upcoming": upcoming["id"],
            "order_T01": orders["T01"], "order_T02": orders["T02"]}


@contextlib.contextmanager
def served_county(make_app, auth, today: date) -> Iterator[County]:
    """Serve the three apps with each other's URLs and seed them; yield their URLs."""
    scoring = make_app("scoring")
    with serving(scoring) as scoring_url:
        survey = make_app("survey", SCORING_URL=scoring_url, SCORING_RETRIES=0)
        inspection = make_app("inspection", SCORING_URL=scoring_url)
        with serving(survey) as survey_url, serving(inspection) as inspection_url:
            scoring.config.update(SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
            county = County(survey_url, scoring_url, inspection_url, today)
            scoring_api = Caller(scoring.test_client(), auth)
            version = seed_registry(scoring_api, today)
            survey_client = survey.test_client()
            county.ids["poll"] = seed_survey(Caller(survey_client, auth), survey_client)
            county.ids.update(seed_inspection(Caller(inspection.test_client(), auth), today))
            county.ids.update({f"run_{k}": v
                               for k, v in seed_runs(scoring_api, today, version).items()})
            yield county
