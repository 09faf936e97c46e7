"""One-time web links: unguessable and stored hashed, refused where the poll takes no
web answers, the contacts they carry (encrypted at rest, for planners only); they
expire by default at the end of the poll's field period (county time), or
``expires_in_days`` after issue; an expired link shows a 410 page in zh-CN or en and
saves nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Integer, Text, column, func, select, table, update
from sqlalchemy.orm import Session

from services.survey.models.interviews import Answer, Interview
from services.survey.models.links import RespondentLink
from services.survey.telephony.vault import vault
from shared.config import COUNTY_TZ
from tests.survey.web_support import answer, csrf_of, current_question, issue, path_of


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


def test_links_are_unguessable_and_stored_hashed(client, planner, make_poll, engines):
    poll = make_poll()
    links = issue(client, planner, poll["id"], count=3, township="T01")
    tokens = [link["token"] for link in links]
    assert len(set(tokens)) == 3 and all(len(t) >= 43 for t in tokens)
    assert links[0]["url"].endswith(path_of(links[0]))
    with Session(engines["survey"]) as session:
        stored = [row.token_hash for row in session.scalars(select(RespondentLink))]
    assert not set(tokens) & set(stored) and all(len(h) == 64 for h in stored)
    assert client.get("/r/" + "x" * 43).status_code == 404


def test_links_need_a_web_poll_that_is_not_closed_and_something_to_issue(client, planner,
                                                                        make_poll):
    paper_only = make_poll(modes=["paper"])
    refused = client.post(f"/api/v1/polls/{paper_only['id']}/links", headers=planner,
                          json={"count": 1})
    assert refused.status_code == 409 and refused.get_json()["errors"] == {"mode": ["web"]}
    poll = make_poll()
    empty = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner, json={})
    assert empty.status_code == 422 and "count" in empty.get_json()["errors"]
    elsewhere = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                            json={"count": 1, "township": "T09"})
    assert elsewhere.status_code == 422 and "township" in elsewhere.get_json()["errors"]
    assert client.post(f"/api/v1/polls/{poll['id']}/close", headers=planner).status_code == 200
    closed = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                         json={"count": 1})
    assert closed.status_code == 409 and closed.get_json()["errors"] == {"status": ["closed"]}
    missing = client.post("/api/v1/polls/999999/links", headers=planner, json={"count": 1})
    assert missing.status_code == 404


CONTACT = {"name": "王小明", "phone": "+8613800138000", "email": "wxm@example.cn",
           "note": "下午方便"}
STORED = table("respondent_contacts", column("id", Integer), column("interview_id", Integer),
               *(column(name, Text) for name in CONTACT))


def test_contacts_only_for_planners(client, planner, make_poll, auth):
    poll = make_poll()
    links = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner, json={
        "township": "T01", "contacts": [{"name": "王小明", "phone": "+8613800138000",
                                         "email": "wxm@example.cn"}, {"name": "李四"}]})
    assert links.status_code == 201 and len(links.get_json()["links"]) == 2
    analyst = auth("analyst")
    for path in ("responses", "responses/export?format=csv", "dispositions", "estimates"):
        response = client.get(f"/api/v1/polls/{poll['id']}/{path}", headers=analyst)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True) if "export" in path else json.dumps(
            response.get_json(), ensure_ascii=False)
        assert "王小明" not in text and "13800138000" not in text and "example.cn" not in text
    assert client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=analyst).status_code == 403
    contacts = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=planner).get_json()
    assert [c["name"] for c in contacts] == ["王小明", "李四"]
    assert contacts[0]["interview_id"] == links.get_json()["links"][0]["interview_id"]


def test_stored_contact_is_ciphertext_and_the_api_shows_plain_text(client, planner, make_poll,
                                                                   auth, engines):
    poll = make_poll()
    response = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner, json={
        "township": "T01", "contacts": [CONTACT, {"name": "李四"}]})
    assert response.status_code == 201, response.get_json()
    links = response.get_json()["links"]
    with engines["survey"].connect() as connection:
        rows = [dict(row) for row in connection.execute(
            select(STORED).order_by(STORED.c.id)).mappings()]
    assert [row["interview_id"] for row in rows] == [link["interview_id"] for link in links]
    first, second = rows
    for name, plain in CONTACT.items():
        assert first[name] != plain and plain not in first[name]
        assert vault().decrypt(first[name]) == plain
    assert vault().decrypt(second["name"]) == "李四" and second["phone"] is None
    assert first["name"] != second["name"]
    contacts = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=planner).get_json()
    assert contacts == [
        {"interview_id": links[0]["interview_id"], **CONTACT},
        {"interview_id": links[1]["interview_id"], "name": "李四", "phone": None,
         "email": None, "note": None}]
    response = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=auth("analyst"))
    assert response.status_code == 403
