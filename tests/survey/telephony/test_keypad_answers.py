"""The keypad answer's direct path stores exactly what the general path stores, and gives
way to it whenever anything is unusual (having written nothing)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from services.survey.models import IdempotencyRecord
from services.survey.models.interviews import Answer, Interview
from services.survey.models.polls import Poll
from services.survey.models.telephony import CallAttempt, PhoneContact
from services.survey.telephony.keypad_answers import store_keypad_answer
from services.survey.telephony.twilio_api import webhook_url
from tests.survey.telephony.phone_support import TOKEN, make_dialer, make_phone_poll

PUBLIC = "https://survey.example.org"
# A whole interview by keypad: consent, sat, score, problem (yes → solved), solved,
# a wrong key on years then a typed number; advice is a voice answer (Record).
SCRIPT = [("consent", None, "1", 1), ("question", "sat", "2", 1), ("question", "score", "4", 1),
          ("question", "problem", "1", 1), ("question", "solved", "2", 1),
          ("question", "years", "abc#", 1), ("question", "years", "12#", 2)]


@pytest.fixture
def apps(make_app):
    """The service with the direct path (as deployed) and with the general path only."""
    return (make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC),
            make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC,
                     TELEPHONY_DIRECT_GATHER=False))


@pytest.fixture
def attempts(apps, engines, auth):
    """Two claimed, connected calls of one campaign (stratum taken from ``problem``)."""
    app = apps[0]
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    sessions = app.extensions["kaoping"].sessions
    with sessions.begin() as session:
        session.execute(update(Poll).values(stratum_question="problem"))
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000", "max_tries": 2}).json
    frame = b"phone,township\n13900010001,T01\n13900010002,T01\n"
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(frame), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/start", headers=planner)
    claimed = make_dialer(app, client=object()).claim(campaign["id"])
    assert len(claimed) == 2
    return claimed


def sid(attempt_id: int) -> str:
    return f"CA{attempt_id:032d}"


def post(client, attempt_id: int, step: str, qid: str | None, digits: str, tries: int):
    path = f"/api/v1/telephony/voice/{step}?attempt={attempt_id}" + (
        f"&q={qid}" if qid else "") + f"&tries={tries}"
    params = {"CallSid": sid(attempt_id), "Digits": digits, "CallStatus": "in-progress"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)
    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text
    return response.text


def normalised(text: str, attempt_id: int) -> str:
    return text.replace(sid(attempt_id), "<sid>").replace(f"attempt={attempt_id}", "attempt=<a>")


def stored(app, attempt_id: int) -> dict:
    """Everything the webhooks stored for one call, with its own ids taken out."""
    with app.extensions["kaoping"].sessions() as session:
        attempt = session.get(CallAttempt, attempt_id)
        contact = session.get(PhoneContact, attempt.contact_id)
        interview = session.get(Interview, contact.interview_id)
        records = session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.key.startswith(sid(attempt_id)))).all()
        return {
            "answers": {a.question_id: a.value for a in session.scalars(
                select(Answer).where(Answer.interview_id == interview.id))},
            "interview": (interview.status, interview.disposition, interview.stratum,
                          interview.started_at is not None, interview.updated_at is not None),
            "attempt": (attempt.last_question, attempt.consent, contact.skipped),
            "records": sorted((r.key.replace(sid(attempt_id), "<sid>"), r.request_hash,
                               r.status_code, normalised(r.response["twiml"], attempt_id))
                              for r in records),
        }


def test_the_direct_path_stores_what_the_general_path_stores(apps, attempts):
    direct, general = apps
    replies = {}
    for app, attempt_id in zip(apps, attempts, strict=True):
        client = app.test_client()
        replies[app] = [normalised(post(client, attempt_id, *step), attempt_id)
                        for step in SCRIPT]
        # a replay of every Gather answers the same and changes nothing
        replayed = [normalised(post(client, attempt_id, *step), attempt_id) for step in SCRIPT]
        assert replayed == replies[app]
    assert replies[direct] == replies[general]
    assert "q=advice" in replies[direct][-1] and "<Record" in replies[direct][-1]
    mine, theirs = stored(direct, attempts[0]), stored(general, attempts[1])
    assert mine == theirs
    assert mine["answers"] == {"sat": 2, "score": 4, "problem": 1, "solved": 2, "years": 12}
    assert mine["interview"] == ("in_progress", "1.2", "1", True, True)
    assert mine["attempt"][0] == "advice"


def test_the_direct_path_takes_the_common_case(apps, attempts, engines):
    app, attempt_id = apps[0], attempts[0]
    post(app.test_client(), attempt_id, "consent", None, "1", 1)
    engine = engines["survey"]

    def url(step, **params):
        return webhook_url(PUBLIC, step, **params)

    twiml = store_keypad_answer(engine, attempt_id, sid(attempt_id), "sat", "1", 1, url)
    assert twiml is not None and f"attempt={attempt_id}&amp;q=score&amp;tries=1" in twiml
    assert stored(app, attempt_id)["answers"] == {"sat": 1}
    # the same request again is a replay, answered from the same one read
    assert store_keypad_answer(engine, attempt_id, sid(attempt_id), "sat", "1", 1, url) == twiml


def _rows(app) -> tuple[int, int]:
    with app.extensions["kaoping"].sessions() as session:
        return (session.scalar(select(func.count(Answer.id))),
                session.scalar(select(func.count(IdempotencyRecord.id))))


@pytest.mark.parametrize("case", [
    "unknown attempt", "no CallSid", "another CallSid", "lost attempt", "other digits replay",
    "poll closed", "not the current question", "invalid key", "no key", "last question"])
def test_the_direct_path_gives_way_and_writes_nothing(apps, attempts, engines, case):
    app, attempt_id = apps[0], attempts[0]
    client = app.test_client()
    post(client, attempt_id, "consent", None, "1", 1)
    post(client, attempt_id, "question", "sat", "1", 1)
    engine, call_sid, qid, digits = engines["survey"], sid(attempt_id), "score", "4"
    sessions = app.extensions["kaoping"].sessions
    if case == "unknown attempt":
        attempt_id += 1000
    elif case == "no CallSid":
        call_sid = ""
    elif case == "another CallSid":
        call_sid = sid(attempt_id + 1)
    elif case == "lost attempt":
        with sessions.begin() as session:
            session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id)
                            .values(state="lost"))
    elif case == "other digits replay":
        qid, digits = "sat", "2"
    elif case == "poll closed":
        with sessions.begin() as session:
            session.execute(update(Poll).values(status="closed"))
    elif case == "not the current question":
        qid = "problem"
    elif case == "invalid key":
        digits = "7"
    elif case == "no key":
        digits = ""
    elif case == "last question":
        for step in SCRIPT[2:]:
            post(client, attempt_id, *step)
        with sessions.begin() as session:  # make "years" the last question on the route
            session.execute(update(PhoneContact).values(skipped=["advice"]))
            session.execute(update(Answer).where(Answer.question_id == "years")
                            .execution_options(synchronize_session=False)
                            .values(question_id="years_old"))
        qid, digits = "years", "30#"
    before = _rows(app)
    url = lambda step, **params: webhook_url(PUBLIC, step, **params)  # noqa: E731
    assert store_keypad_answer(engine, attempt_id, call_sid, qid, digits, 1, url) is None
    assert _rows(app) == before


def test_a_template_is_never_served_for_another_attempt(apps, attempts):
    app = apps[0]
    client = app.test_client()
    texts = []
    for attempt_id in attempts:
        post(client, attempt_id, "consent", None, "1", 1)
        texts.append(post(client, attempt_id, "question", "sat", "1", 1))
    for attempt_id, text in zip(attempts, texts, strict=True):
        assert re.findall(r"attempt=(\d+)", text) == [str(attempt_id)]


def test_a_connection_lost_on_the_direct_path_does_not_go_back_to_the_pool(apps, attempts,
                                                                           engines):
    """PostgreSQL: the path sets autocommit on the driver's connection itself; a
    connection that broke under it is invalidated (not returned in autocommit or
    broken), the driver's error goes up (a 503 at the view), and the next Gather works
    on a fresh connection, which is not in autocommit."""
    import psycopg
    from sqlalchemy import text

    from shared.db import make_engine

    if engines["survey"].dialect.name != "postgresql":
        pytest.skip("PostgreSQL's autocommit path")
    # an engine of its own with one pooled connection: the call below must get the one
    # whose server process is ended, and no other test may get it afterwards
    engine = make_engine(engines["survey"].url.render_as_string(hide_password=False),
                         pool_size=1, max_overflow=0)
    app, attempt_id = apps[0], attempts[0]
    post(app.test_client(), attempt_id, "consent", None, "1", 1)

    def url(step, **params):
        return webhook_url(PUBLIC, step, **params)

    with engine.connect() as connection:  # a pooled connection the next call will reuse
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    plain_url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain_url, autocommit=True) as other:  # not from the pool
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    with pytest.raises(psycopg.OperationalError):
        store_keypad_answer(engine, attempt_id, sid(attempt_id), "sat", "1", 1, url)
    twiml = store_keypad_answer(engine, attempt_id, sid(attempt_id), "sat", "1", 1, url)
    assert twiml is not None and stored(app, attempt_id)["answers"] == {"sat": 1}
    with engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != backend
    engine.dispose()
