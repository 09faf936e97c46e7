"""What the two poll steps share: the townships polled and a poll opened."""

from datetime import timedelta

from services.demo import polls
from shared.config import county_today
from tests.support import serving


def test_the_townships_are_those_the_scoring_step_left_else_the_registrys(scoring_url,
                                                                          demo_context):
    ctx = demo_context(scoring=scoring_url)
    assert polls.townships(ctx) == ["T01", "T02"]
    ctx.state["townships"] = ["T07", {"code": "T08"}]
    assert polls.townships(ctx) == ["T07", "T08"]


def test_a_poll_is_created_on_its_questionnaire_and_opened(make_app, scoring_url,
                                                           demo_context):
    questionnaire = {"code": "Q", "title_zh": "问卷", "title_en": "Questionnaire", "document": {
        "questions": [{"id": "ok", "type": "yesno", "text": polls.texts("好吗", "Fine?")}]}}
    with serving(make_app("survey", SCORING_URL=scoring_url)) as survey_url:
        ctx = demo_context(survey=survey_url, scoring=scoring_url)
        planner = ctx.client("survey", "planner")
        made, poll = polls.open_poll(planner, questionnaire, {
            "name_zh": "调查", "name_en": "Poll", "modes": ["web"],
            "townships": [{"code": "T01", "target_completes": 5}]}, field_days=(-1, 14))
        now = planner.get_json(f"/api/v1/polls/{poll['id']}")
    assert made["code"] == "Q" and poll["questionnaire_id"] == made["id"]
    assert now["status"] == "fielding"
    assert (now["field_start"], now["field_end"]) == (
        (county_today() - timedelta(days=1)).isoformat(),
        (county_today() + timedelta(days=14)).isoformat())
