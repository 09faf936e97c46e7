"""Interviews and answers: stored once per question, checked against skip logic, finished
or labelled partial / break-off when the poll closes."""

import pytest
from sqlalchemy.orm import Session

from services.survey import interviews
from services.survey.models.interviews import Interview
from shared.errors import Conflict, NotFound, ValidationFailed


def test_partial_and_break_off_at_close(client, planner, make_poll, engines):
    poll = make_poll()
    links = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                        json={"count": 3, "township": "T01"}).get_json()["links"]
    with Session(engines["survey"]) as session:
        first = session.get(Interview, links[0]["interview_id"])
        for qid, value in (("sex", 1), ("age", 2), ("sat", 4), ("problem", 2)):
            interviews.record_answer(session, first, qid, value)
        interviews.record_answer(session, first, "sex", 1)          # idempotent
        second = session.get(Interview, links[1]["interview_id"])
        interviews.record_answer(session, second, "sex", 2)
        session.commit()
    client.post(f"/api/v1/polls/{poll['id']}/close", headers=planner)
    rows = {d["interview_id"]: d for d in client.get(
        f"/api/v1/polls/{poll['id']}/dispositions", headers=planner).get_json()}
    assert (rows[links[0]["interview_id"]]["status"],
            rows[links[0]["interview_id"]]["disposition"]) == ("partial", "1.2")
    assert (rows[links[1]["interview_id"]]["status"],
            rows[links[1]["interview_id"]]["disposition"]) == ("ended", "2.12")
    assert rows[links[2]["interview_id"]]["disposition"] == "3.19"
    assert rows[links[2]["interview_id"]]["category"] == "UO"


def test_answers_follow_the_route_and_completion_drops_what_it_no_longer_asks(
        client, planner, make_poll, engines):
    poll = make_poll()
    link = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                       json={"count": 1, "township": "T01"}).get_json()["links"][0]
    with Session(engines["survey"]) as session:
        interview = session.get(Interview, link["interview_id"])
        with pytest.raises(NotFound):
            interviews.record_answer(session, interview, "colour", 1)
        with pytest.raises(ValidationFailed) as hidden:
            interviews.record_answer(session, interview, "detail", "x")  # needs solved = 2
        assert "skip logic" in hidden.value.errors["detail"][0]
        with pytest.raises(ValidationFailed) as blank:
            interviews.record_answer(session, interview, "sex", None)
        assert blank.value.errors == {"sex": ["an answer is required"]}
        for qid, value in (("sex", 1), ("age", 1), ("sat", 2), ("problem", 1), ("solved", 2),
                           ("detail", "路灯坏了")):
            interviews.record_answer(session, interview, qid, value)
        assert interview.status == "in_progress" and interview.started_at is not None
        with pytest.raises(ValidationFailed) as unfinished:
            interviews.complete_interview(session, interview)
        assert unfinished.value.errors == {"years": ["not answered yet"]}
        interviews.record_answer(session, interview, "problem", 2)   # skips solved, detail
        interviews.record_answer(session, interview, "years", 3)
        interviews.record_answer(session, interview, "services", [2, 1])
        done = interviews.complete_interview(session, interview)
        assert (done.status, done.disposition) == ("complete", "1.1")
        assert interviews.answers_of(done) == {"sex": 1, "age": 1, "sat": 2, "problem": 2,
                                               "years": 3, "services": [1, 2]}
        assert interviews.complete_interview(session, done) is done   # idempotent
        with pytest.raises(Conflict):
            interviews.record_answer(session, done, "sat", 5)
