"""Survey test helpers: a sample questionnaire, a registry stub, a poll in the field."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from flask import Flask, jsonify, request

from shared.config import county_today
from tests.support import serving

TOWNSHIPS = [
    {"code": "T01", "name_zh": "城关镇", "name_en": "Chengguan", "kind": "township",
     "peer_group": "TOWN", "active_from": None, "active_to": None, "lat": None, "lon": None},
    {"code": "T02", "name_zh": "河西乡", "name_en": "Hexi", "kind": "township",
     "peer_group": "TOWN", "active_from": None, "active_to": None, "lat": None, "lon": None},
]
MARGINS = {
    "T01": [("sex", "M", 5200), ("sex", "F", 4800),
            ("age_band", "18-34", 3000), ("age_band", "35-59", 4500), ("age_band", "60+", 2500),
            ("education", "primary", 4000), ("education", "secondary", 6000)],
    "T02": [("sex", "M", 3100), ("sex", "F", 2900),
            ("age_band", "18-34", 1500), ("age_band", "35-59", 2700), ("age_band", "60+", 1800)],
}


def texts(zh: str, en: str) -> dict:
    return {"zh-CN": zh, "en": en}


SAMPLE_DOCUMENT = {
    "intro": texts("县政府满意度调查", "County satisfaction survey"),
    "questions": [
        {"id": "sex", "type": "single", "text": texts("您的性别", "Your sex"),
         "options": [{"code": 1, "label": texts("男", "Male")},
                     {"code": 2, "label": texts("女", "Female")}],
         "margin": {"variable": "sex", "map": {"1": "M", "2": "F"}}},
        {"id": "age", "type": "single", "text": texts("您的年龄段", "Your age band"),
         "options": [{"code": 1, "label": texts("18-34岁", "18-34")},
                     {"code": 2, "label": texts("35-59岁", "35-59")},
                     {"code": 3, "label": texts("60岁及以上", "60+")}],
         "margin": {"variable": "age_band", "map": {"1": "18-34", "2": "35-59", "3": "60+"}}},
        {"id": "sat", "type": "rating",
         "text": texts("您对乡镇政府工作满意吗", "Satisfied with the township government?"),
         "scale": {"min": 1, "max": 5, "min_label": texts("很不满意", "Very dissatisfied"),
                   "max_label": texts("很满意", "Very satisfied")},
         "satisfied": [4, 5]},
        {"id": "problem", "type": "yesno",
         "text": texts("过去一年您是否向政府反映过问题",
                       "Did you report a problem in the past year?"),
         "skip_to": [{"if": {"question": "problem", "in": [2, 98, 99]}, "to": "years"}]},
        {"id": "solved", "type": "yesno", "text": texts("问题是否得到解决", "Was it solved?"),
         "satisfied": [1]},
        {"id": "detail", "type": "text", "text": texts("请简述问题", "Describe the problem"),
         "required": False, "show_if": {"question": "solved", "in": [2]}},
        {"id": "years", "type": "number",
         "text": texts("您在本地居住了多少年", "Years living here"),
         "range": {"min": 0, "max": 100}, "dk_code": 998, "refused_code": 999},
        {"id": "services", "type": "multiple", "text": texts("您用过哪些服务", "Services used"),
         "options": [{"code": 1, "label": texts("医疗", "Health")},
                     {"code": 2, "label": texts("教育", "Education")},
                     {"code": 3, "label": texts("交通", "Transport")}]},
        {"id": "voice", "type": "voice", "text": texts("请说出您的建议", "Say your suggestion"),
         "required": False},
    ],
}


def sample_document() -> dict:
    return copy.deepcopy(SAMPLE_DOCUMENT)


def q(id, type="single", **extra) -> dict:
    """A question of ``type`` (single choice with codes 1 and 2 by default)."""
    base = {"id": id, "type": type, "text": texts("题" + id, "Q " + id)}
    if type in ("single", "multiple"):
        base["options"] = [{"code": 1, "label": texts("一", "one")},
                           {"code": 2, "label": texts("二", "two")}]
    base.update(extra)
    return base


def registry_stub(townships=None, margins=None) -> Flask:
    """A tiny registry that speaks docs/CONTRACTS.md (units and margins)."""
    app = Flask("registry-stub")
    units = TOWNSHIPS if townships is None else townships
    table = MARGINS if margins is None else margins

    @app.get("/api/v1/units")
    def units_view():
        assert request.headers.get("Authorization", "").startswith("Bearer ")
        return jsonify([u for u in units if u["kind"] == request.args.get("kind", u["kind"])])

    @app.get("/api/v1/margins")
    def margins_view():
        unit = request.args["unit"]
        return jsonify([{"unit": unit, "variable": v, "category": c, "count": n}
                        for v, c, n in table.get(unit, [])])

    return app


@pytest.fixture(scope="session")
def registry_url():
    with serving(registry_stub()) as url:
        yield url


@pytest.fixture
def app(make_app, registry_url):
    return make_app("survey", SCORING_URL=registry_url, SCORING_RETRIES=0)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def planner(auth):
    return auth("planner")


@pytest.fixture
def phone_keys(monkeypatch, engines):
    """``phone_keys(keys, hash_key)`` sets ``SURVEY_PHONE_KEYS`` and ``SURVEY_PHONE_HASH_KEY``
    (and ``SURVEY_DATABASE_URL``, for commands) for the apps and commands started next;
    the vault installed before the test is this process's vault again after it."""
    from services.survey.telephony import vault

    monkeypatch.setattr(vault, "_installed", list(vault._installed))
    monkeypatch.setenv("SURVEY_DATABASE_URL",
                       engines["survey"].url.render_as_string(hide_password=False))

    def set_keys(keys: str, hash_key: str) -> None:
        monkeypatch.setenv("SURVEY_PHONE_KEYS", keys)
        monkeypatch.setenv("SURVEY_PHONE_HASH_KEY", hash_key)

    return set_keys


def poll_payload(questionnaire_id: int, **overrides) -> dict:
    today = county_today()
    payload = {"name_zh": "乡镇满意度调查", "name_en": "Township satisfaction poll",
               "questionnaire_id": questionnaire_id, "modes": ["web", "paper", "phone"],
               "field_start": (today - timedelta(days=1)).isoformat(),
               "field_end": (today + timedelta(days=30)).isoformat(),
               "townships": [{"code": "T01", "target_completes": 3},
                             {"code": "T02", "target_completes": 3}]}
    payload.update(overrides)
    return payload


@pytest.fixture
def make_poll(client, planner):
    """make_poll(document=None, open=True, **poll fields) -> poll JSON."""

    def build(document=None, open=True, **overrides):
        made = client.post("/api/v1/questionnaires", headers=planner, json={
            "code": "SAT", "title_zh": "满意度", "title_en": "Satisfaction",
            "document": document or sample_document()})
        assert made.status_code == 201, made.get_json()
        poll = client.post("/api/v1/polls", headers=planner,
                           json=poll_payload(made.get_json()["id"], **overrides))
        assert poll.status_code == 201, poll.get_json()
        poll = poll.get_json()
        if open:
            opened = client.post(f"/api/v1/polls/{poll['id']}/open", headers=planner)
            assert opened.status_code == 200
            poll = opened.get_json()
        return poll

    return build


SCORING_MARGINS = {
    "T01": {"sex": {"M": 5200, "F": 4800},
            "age_band": {"18-34": 2500, "35-49": 2700, "50-64": 2800, "65+": 2000}},
    "T02": {"sex": {"M": 3000, "F": 3000},
            "age_band": {"18-34": 1500, "35-49": 1600, "50-64": 1700, "65+": 1200}}}


@pytest.fixture
def scoring_url(make_app, auth):
    """The real scoring app with townships T01, T02 and their margins, served over HTTP."""
    scoring = make_app("scoring")
    client = scoring.test_client()
    planner = auth("planner")
    for code, zh, en in (("T01", "城关镇", "Chengguan"), ("T02", "河西乡", "Hexi")):
        made = client.post("/api/v1/units", headers=planner, json={
            "code": code, "name_zh": zh, "name_en": en, "kind": "township"})
        assert made.status_code == 201, made.get_json()
        rows = [{"variable": v, "category": c, "count": n}
                for v, cats in SCORING_MARGINS[code].items() for c, n in cats.items()]
        put = client.put(f"/api/v1/units/{code}/margins", headers=planner, json=rows)
        assert put.status_code == 200, put.get_json()
    with serving(scoring) as url:
        yield url
