"""One-time web links expire: by default at the end of the poll's field period (county
time), or ``expires_in_days`` after issue; an expired link shows a 410 page in zh-CN
or en and saves nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.survey.models.interview import Answer, Interview, RespondentLink
from shared.config import COUNTY_TZ
from tests.survey.test_web import answer, csrf_of, current_question, issue, path_of


def stored_expiry(engines, interview_id: int) -> datetime:
    with Session(engines["survey"]) as session:
        value = session.scalar(select(RespondentLink.expires_at).where(
            RespondentLink.interview_id == interview_id))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def set_expiry(engines, interview_id: int, when: datetime) -> None:
    with Session(engines["survey"]) as session:
        session.execute(update(RespondentLink).where(
            RespondentLink.interview_id == interview_id).values(expires_at=when))
        session.commit()


def test_default_expiry_is_the_end_of_the_field_period(client, planner, make_poll, engines):
    poll = make_poll()
    link = issue(client, planner, poll["id"], township="T01")[0]
    last_day = date.fromisoformat(poll["field_end"])
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=COUNTY_TZ)
    assert end.utcoffset() == timedelta(hours=8)
    assert datetime.fromisoformat(link["expires_at"]) == end
    assert stored_expiry(engines, link["interview_id"]) == end


def test_expires_in_days_overrides_the_default(client, planner, make_poll, engines):
    poll = make_poll()
    before = datetime.now(UTC)
    links = issue(client, planner, poll["id"], count=2, township="T01", expires_in_days=3)
    after = datetime.now(UTC)
    for link in links:
        expires = stored_expiry(engines, link["interview_id"])
        assert before + timedelta(days=3) <= expires <= after + timedelta(days=3)
        assert datetime.fromisoformat(link["expires_at"]) == expires
    bad = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                      json={"count": 1, "expires_in_days": 0})
    assert bad.status_code == 422 and "expires_in_days" in bad.get_json()["errors"]["json"]


def test_link_within_its_time_works(client, planner, make_poll, engines):
    poll = make_poll()
    link = issue(client, planner, poll["id"], township="T01")[0]
    set_expiry(engines, link["interview_id"], datetime.now(UTC) + timedelta(minutes=5))
    path = path_of(link)
    page = client.get(path)
    assert page.status_code == 200 and current_question(page) == "sex"
    answer(client, path, "sex", 1)
    with Session(engines["survey"]) as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 1


def test_expired_link_shows_410_in_both_languages_and_saves_nothing(client, planner,
                                                                     make_poll, engines):
    poll = make_poll()
    link = issue(client, planner, poll["id"], township="T01")[0]
    path = path_of(link)
    csrf = csrf_of(client.get(path))                       # opened while still valid
    set_expiry(engines, link["interview_id"], datetime.now(UTC) - timedelta(seconds=1))

    zh = client.get(path)
    text = zh.get_data(as_text=True)
    assert zh.status_code == 410 and 'lang="zh-CN"' in text
    assert "此链接已过期" in text and 'id="message-expired"' in text
    assert 'name="question"' not in text
    en = client.get(path + "?lang=en")
    assert en.status_code == 410 and "This link has expired" in en.get_data(as_text=True)

    posted = client.post(path, data={"csrf": csrf, "question": "sex", "answer": "1"})
    assert posted.status_code == 410 and "此链接已过期" in posted.get_data(as_text=True)
    submitted = client.post(path + "/submit", data={"csrf": csrf, "lang": "en"})
    assert submitted.status_code == 410
    assert "This link has expired" in submitted.get_data(as_text=True)
    with Session(engines["survey"]) as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 0
        interview = session.get(Interview, link["interview_id"])
        assert interview.status == "not_started" and interview.language == "zh-CN"


def test_links_issued_before_expiry_existed_never_expire(client, planner, make_poll,
                                                          engines):
    poll = make_poll()
    link = issue(client, planner, poll["id"], township="T01")[0]
    set_expiry(engines, link["interview_id"], None)
    assert client.get(path_of(link)).status_code == 200
