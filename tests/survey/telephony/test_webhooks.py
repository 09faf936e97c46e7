"""IVR webhooks: signatures, replays, re-prompts, consent and opt-out, recordings."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from services.survey.models.interviews import Answer, Interview
from services.survey.models.telephony import CallAttempt, DoNotCall, PhoneContact, Recording
from services.survey.telephony.recordings import purge_expired
from tests.support import serving
from tests.survey.telephony.phone_support import (
    IN_WINDOW,
    PUBLIC,
    TOKEN,
    call_params,
    claimed_attempt,
    make_dialer,
    signed,
)


@pytest.fixture
def app(make_app):
    return make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC)


@pytest.fixture
def attempt(app, engines, auth):
    """A claimed call attempt of a one-number campaign; returns its id."""
    return claimed_attempt(app, engines, auth, max_tries=2)


def answers(app) -> dict:
    with app.extensions["kaoping"].sessions() as session:
        return {a.question_id: a.value for a in session.scalars(select(Answer))}


def test_missing_or_forged_signature_is_403(app, attempt):
    client = app.test_client()
    path = f"/api/v1/telephony/voice/answer?attempt={attempt}"
    for response in (signed(client, path, call_params(), signature=""),
                     signed(client, path, call_params(), token="forged"),
                     client.post(path, data=call_params(), headers={
                         "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(
                             PUBLIC + path, call_params(Digits="1"))})):
        assert response.status_code == 403
        assert response.json["code"] == 403 and "Signature" in response.json["message"]
    ok = signed(client, path, call_params(AnsweredBy="human"))
    assert ok.status_code == 200 and ok.mimetype == "text/xml"
    assert "<Gather" in ok.text and "按1" in ok.text and "录音" in ok.text


def test_answers_are_stored_as_they_come_and_a_replay_changes_nothing(app, attempt):
    client = app.test_client()
    signed(client, f"/api/v1/telephony/voice/answer?attempt={attempt}", call_params())
    first = signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt}&tries=1",
                   call_params(Digits="1"))
    assert "q=sat" in first.text
    path = f"/api/v1/telephony/voice/question?attempt={attempt}&q=sat&tries=1"
    gathered = signed(client, path, call_params(Digits="2"))
    assert answers(app) == {"sat": 2} and "q=score" in gathered.text
    replayed = signed(client, path, call_params(Digits="2"))
    assert replayed.text == gathered.text and answers(app) == {"sat": 2}
    with app.extensions["kaoping"].sessions() as session:
        assert session.scalar(select(func.count(Answer.id))) == 1
    conflicting = signed(client, path, call_params(Digits="1"))
    assert conflicting.status_code == 409 and answers(app) == {"sat": 2}


def test_invalid_keypad_input_is_reprompted_then_coded_no_answer(app, attempt):
    client = app.test_client()
    signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt}&tries=1",
           call_params(Digits="1"))
    base = f"/api/v1/telephony/voice/question?attempt={attempt}&q=sat"
    again = signed(client, base + "&tries=1", call_params(Digits="7"))
    assert "按键无效" in again.text and "q=sat&amp;tries=2" in again.text
    assert answers(app) == {}
    silent = signed(client, base + "&tries=2", call_params(Digits=""))
    assert "q=score" in silent.text  # max_tries=2: coded no answer, next question
    with app.extensions["kaoping"].sessions() as session:
        assert session.scalar(select(PhoneContact.skipped)) == ["sat"]
    assert answers(app) == {}


def test_refusal_opt_out_and_status_codes_dispositions(app, attempt):
    client = app.test_client()
    bye = signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt}&tries=1",
                 call_params(Digits="9"))
    assert "<Hangup" in bye.text
    status = signed(client, f"/api/v1/telephony/voice/status?attempt={attempt}",
                    call_params(CallStatus="completed", CallDuration="21", AnsweredBy="human"))
    assert status.status_code == 204
    with app.extensions["kaoping"].sessions() as session:
        attempt_row = session.get(CallAttempt, attempt)
        assert (attempt_row.outcome, attempt_row.disposition, attempt_row.duration) == (
            "opt-out", "2.11", 21)
        assert session.scalar(select(func.count(DoNotCall.id))) == 1
        assert session.scalar(select(Interview.disposition)) == "2.11"
        assert session.scalar(select(PhoneContact.state)) == "done"


def test_voice_answer_recording_callbacks_and_retention(app, attempt):
    client = app.test_client()
    sessions = app.extensions["kaoping"].sessions
    signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt}&tries=1",
           call_params(Digits="1"))
    q = f"/api/v1/telephony/voice/question?attempt={attempt}"
    signed(client, q + "&q=sat&tries=1", call_params(Digits="1"))
    signed(client, q + "&q=score&tries=1", call_params(Digits="5"))
    signed(client, q + "&q=problem&tries=1", call_params(Digits="2"))
    record = signed(client, q + "&q=years&tries=1", call_params(Digits="12#"))
    assert "<Record" in record.text and "recordingStatusCallback" in record.text
    media = "https://carrier.example/Recordings/RE1"
    thanks = signed(client, f"/api/v1/telephony/voice/recorded?attempt={attempt}&q=advice",
                    call_params(RecordingUrl=media, RecordingSid="RE1", RecordingDuration="7"))
    assert "<Hangup" in thanks.text
    signed(client, f"/api/v1/telephony/voice/recording?attempt={attempt}&q=advice",
           call_params(RecordingSid="RE1", RecordingStatus="completed", RecordingUrl=media,
                       RecordingDuration="7"))
    signed(client, f"/api/v1/telephony/voice/recording?attempt={attempt}&q=advice",
           call_params(RecordingSid="RE2", RecordingStatus="absent", RecordingDuration="0"))
    assert answers(app) == {"sat": 1, "score": 5, "problem": 2, "years": 12,
                            "advice": {"recording_url": media, "duration": 7}}
    with sessions() as session:
        assert session.scalar(select(Interview.status)) == "complete"
        statuses = dict(session.execute(select(Recording.recording_sid, Recording.status)).all())
        assert statuses == {"RE1": "completed", "RE2": "absent"}
    with sessions() as session:
        assert purge_expired(session, IN_WINDOW + timedelta(days=10)) == 0
        later = session.scalar(select(Recording.created_at)) + timedelta(days=91)
        assert purge_expired(session, later) == 2
        session.commit()
    purged = answers(app)["advice"]
    assert "recording_url" not in purged and purged["recording_sid"] == "RE1"


def test_a_call_recovery_gave_up_on_is_counted_when_its_webhooks_arrive(app, attempt):
    later = IN_WINDOW + timedelta(minutes=10)
    make_dialer(app, clock=lambda: later, client=object()).recover()
    sessions = app.extensions["kaoping"].sessions
    with sessions() as session:
        assert session.get(CallAttempt, attempt).state == "lost"
        assert session.scalar(select(PhoneContact.state)) == "pending"
    client = app.test_client()
    assert "<Gather" in signed(client, f"/api/v1/telephony/voice/answer?attempt={attempt}",
                               call_params()).text
    with sessions() as session:
        assert session.scalar(select(PhoneContact.state)) == "dialing"  # not dialled again
    signed(client, f"/api/v1/telephony/voice/status?attempt={attempt}",
           call_params(CallStatus="completed", CallDuration="9"))
    with sessions() as session:
        row = session.get(CallAttempt, attempt)
        contact = session.scalars(select(PhoneContact)).one()
        assert (row.state, row.outcome, contact.attempts, contact.state) == (
            "ended", "machine", 1, "pending")


@pytest.mark.parametrize("step", ["answer", "consent", "question", "recorded", "recording",
                                  "status", "inbound"])
def test_every_webhook_refuses_an_unsigned_request(app, attempt, step):
    response = app.test_client().post(
        f"/api/v1/telephony/voice/{step}?attempt={attempt}&q=sat&tries=1",
        data=call_params(Digits="1", CallStatus="completed"))
    assert response.status_code == 403 and response.json["message"].startswith("Missing")
    with app.extensions["kaoping"].sessions() as session:
        row = session.get(CallAttempt, attempt)
        assert (row.call_sid, row.state) == (None, "placing")
    assert answers(app) == {}


def test_two_copies_of_a_gather_at_the_same_moment_store_one_answer(app, attempt):
    client = app.test_client()
    signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt}&tries=1",
           call_params(Digits="1"))
    path = f"/api/v1/telephony/voice/question?attempt={attempt}&q=sat&tries=1"
    params = call_params(Digits="3")
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(
        PUBLIC + path, params)}
    results: list = []
    with serving(app) as url:
        barrier = threading.Barrier(4)

        def send():
            barrier.wait()
            response = requests.post(url + path, data=params, headers=headers, timeout=30)
            results.append((response.status_code, response.text))

        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert [status for status, _ in results] == [200] * 4
    assert len({text for _, text in results}) == 1 and "q=score" in results[0][1]
    assert answers(app) == {"sat": 3}
