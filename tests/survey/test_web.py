"""The respondents' pages through the Flask test client: skip logic, validation, resume,
language switch, CSRF, double submit, quota stop, no token needed."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.survey.models.interviews import Answer, Interview
from tests.survey.web_support import answer, csrf_of, current_question, issue, path_of


def test_full_web_interview_with_skip_logic_and_double_submit(client, planner, make_poll,
                                                              engines):
    poll = make_poll()
    link = issue(client, planner, poll["id"], township="T01")[0]
    path = path_of(link)
    first = client.get(path)
    assert first.status_code == 200 and "您的性别" in first.get_data(as_text=True)
    assert "县政府满意度调查" in first.get_data(as_text=True)          # the introduction
    assert 'name="viewport"' in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "no-store"
    answer(client, path, "sex", 2)
    answer(client, path, "age", 1)
    answer(client, path, "sat", 5)
    after_problem = answer(client, path, "problem", 2)          # skips solved and detail
    assert current_question(after_problem) == "years"
    bad = answer(client, path, "years", 150)
    assert bad.status_code == 422 and "0 到 100" in bad.get_data(as_text=True)
    answer(client, path, "years", 12)
    review = answer(client, path, "services", [1, 3])
    assert "提交问卷" in review.get_data(as_text=True) and current_question(review) is None
    csrf = csrf_of(review)
    done = client.post(path + "/submit", data={"csrf": csrf}, follow_redirects=True)
    assert "感谢您的参与" in done.get_data(as_text=True)
    again = client.post(path + "/submit", data={"csrf": csrf}, follow_redirects=True)
    assert again.status_code == 200 and "感谢您的参与" in again.get_data(as_text=True)
    late = client.post(path, data={"csrf": csrf, "question": "sat", "answer": "1"})
    assert late.status_code == 200                                   # thank-you, no change
    with Session(engines["survey"]) as session:
        interview = session.scalar(select(Interview).where(Interview.id == link["interview_id"]))
        answers = {a.question_id: a.value for a in interview.answers}
        assert interview.status == "complete" and interview.disposition == "1.1"
        assert interview.mode == "web" and interview.township == "T01"
        assert answers == {"sex": 2, "age": 1, "sat": 5, "problem": 2, "years": 12,
                           "services": [1, 3]}
        assert session.scalar(select(func.count()).select_from(Answer)) == 6


def test_resume_after_reload_and_going_back(client, planner, make_poll, app, engines):
    poll = make_poll()
    path = path_of(issue(client, planner, poll["id"], township="T02")[0])
    answer(client, path, "sex", 1)
    answer(client, path, "age", 3)
    fresh = app.test_client()                      # a new browser: no cookies, same link
    page = fresh.get(path)
    assert current_question(page) == "sat"
    back = fresh.get(path + "?q=age")
    assert current_question(back) == "age" and 'value="3" checked' in back.get_data(as_text=True)
    changed = fresh.post(path, data={"csrf": csrf_of(back), "question": "age", "answer": "2"},
                         follow_redirects=True)
    assert current_question(changed) == "sat"
    with Session(engines["survey"]) as session:
        values = dict(session.execute(select(Answer.question_id, Answer.value)).all())
    assert values == {"sex": 1, "age": 2}


def test_changed_answer_drops_answers_skip_logic_no_longer_asks(client, planner, make_poll,
                                                                engines):
    poll = make_poll()
    path = path_of(issue(client, planner, poll["id"], township="T01")[0])
    for qid, value in (("sex", 1), ("age", 1), ("sat", 2), ("problem", 1), ("solved", 2),
                       ("detail", "路灯坏了")):
        answer(client, path, qid, value)
    page = client.get(path + "?q=problem")
    client.post(path, data={"csrf": csrf_of(page), "question": "problem", "answer": "2"})
    answer(client, path, "years", {"special": "998"})           # don't know
    review = answer(client, path, "services", {"answer": "98"})
    assert "不知道" in review.get_data(as_text=True)
    client.post(path + "/submit", data={"csrf": csrf_of(review)})
    with Session(engines["survey"]) as session:
        values = dict(session.execute(select(Answer.question_id, Answer.value)).all())
    assert "solved" not in values and "detail" not in values
    assert values["years"] == 998 and values["services"] == 98


def test_english_switch_and_unbound_link_asks_township(client, planner, make_poll):
    poll = make_poll()
    path = path_of(issue(client, planner, poll["id"])[0])
    page = client.get(path + "?lang=en")
    text = page.get_data(as_text=True)
    assert "Please choose the township" in text and 'lang="en"' in text
    assert "Chengguan" in text                                   # names from the registry
    client.post(path, data={"csrf": csrf_of(page), "township": "T02"})
    page = client.get(path)                                       # language is remembered
    assert "Your sex" in page.get_data(as_text=True)
    assert "中文" in page.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, planner, make_poll, app):
    poll = make_poll()
    path = path_of(issue(client, planner, poll["id"], township="T01")[0])
    client.get(path)
    forged = app.test_client().post(path, data={"question": "sex", "answer": "1"})
    assert forged.status_code == 400
    wrong = client.post(path, data={"csrf": "x" * 43, "question": "sex", "answer": "1"})
    assert wrong.status_code == 400
    assert current_question(client.get(path)) == "sex"


def test_required_question_needs_an_answer(client, planner, make_poll):
    poll = make_poll()
    path = path_of(issue(client, planner, poll["id"], township="T01")[0])
    page = client.get(path)
    response = client.post(path, data={"csrf": csrf_of(page), "question": "sex"})
    assert response.status_code == 422 and "请回答此题" in response.get_data(as_text=True)


def test_closed_poll_and_draft_poll_take_no_answers(client, planner, make_poll):
    draft = make_poll(open=False)
    path = path_of(issue(client, planner, draft["id"], township="T01")[0])
    assert client.get(path).status_code == 409
    poll = make_poll()
    path = path_of(issue(client, planner, poll["id"], township="T01")[0])
    answer(client, path, "sex", 1)
    assert client.post(f"/api/v1/polls/{poll['id']}/close", headers=planner).status_code == 200
    assert client.get(path).status_code == 410


def test_quota_stop_turns_away_new_respondents(client, planner, make_poll, app):
    poll = make_poll(stop_at_quota=True, townships=[{"code": "T01", "target_completes": 1},
                                                    {"code": "T02", "target_completes": 1}])
    first, second = (path_of(link) for link in issue(client, planner, poll["id"], count=2,
                                                       township="T01"))
    for qid, value in (("sex", 1), ("age", 1), ("sat", 4), ("problem", 2), ("years", 3),
                       ("services", [2])):
        review = answer(client, first, qid, value)
    client.post(first + "/submit", data={"csrf": csrf_of(review)})
    page = client.get(second)
    turned = client.post(second, data={"csrf": csrf_of(page), "question": "sex", "answer": "1"})
    assert "收满" in turned.get_data(as_text=True)
    quotas = client.get(f"/api/v1/polls/{poll['id']}/quotas", headers=planner).get_json()
    assert quotas[0] == {"township": "T01", "target_completes": 1, "completes": 1,
                         "filled": True, "strata": []}
    dispositions = client.get(f"/api/v1/polls/{poll['id']}/dispositions",
                              headers=planner).get_json()
    assert sorted(d["disposition"] for d in dispositions) == ["1.1", "4.80"]


def test_respondent_pages_need_no_token_but_the_api_does(client, planner, make_poll):
    poll = make_poll()
    link = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                       json={"count": 1, "township": "T01"}).get_json()["links"][0]
    assert client.get("/r/" + link["token"]).status_code == 200
    assert client.get(f"/api/v1/polls/{poll['id']}/responses").status_code == 401
