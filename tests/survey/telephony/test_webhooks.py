"""IVR webhooks: replays, re-prompts, consent and opt-out, recordings; copies
of one webhook at the same moment (Twilio's retries, the Record action and its
recording status callback, which Twilio sends independently: each copy is answered 2xx
and one row is stored, found by bench/chaos.py replaying every Gather 10 times); a
break-off resumed at the next attempt, and an inbound call from the sampled number."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

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
    SID,
    TOKEN,
    call_params,
    make_dialer,
    make_phone_poll,
    phone_stack,
    signed,
)


def answers(app) -> dict:
    with app.extensions["kaoping"].sessions() as session:
        return {a.question_id: a.value for a in session.scalars(select(Answer))}


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


def _post_at_once(url: str, requests_to_send: list[tuple[str, dict]]) -> list[int]:
    barrier = threading.Barrier(len(requests_to_send))
    statuses: list[int] = []

    def send(path: str, params: dict) -> None:
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)
        barrier.wait()
        statuses.append(requests.post(url + path, data=params, timeout=30,
                                      headers={"X-Twilio-Signature": signature}).status_code)

    threads = [threading.Thread(target=send, args=request) for request in requests_to_send]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def test_record_action_copies_and_status_callback_at_once_store_one_recording(app, attempt):
    client = app.test_client()
    signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt}&tries=1",
           call_params(Digits="1"))
    question = f"/api/v1/telephony/voice/question?attempt={attempt}"
    for qid, digits in (("sat", "1"), ("score", "5"), ("problem", "2"), ("years", "12#")):
        signed(client, f"{question}&q={qid}&tries=1", call_params(Digits=digits))
    media = "https://carrier.example/Recordings/RE7"
    action = (f"/api/v1/telephony/voice/recorded?attempt={attempt}&q=advice",
              call_params(RecordingUrl=media, RecordingSid="RE7", RecordingDuration="9"))
    callback = (f"/api/v1/telephony/voice/recording?attempt={attempt}&q=advice",
                call_params(RecordingSid="RE7", RecordingStatus="completed", RecordingUrl=media,
                            RecordingDuration="9"))
    with serving(app) as url:
        statuses = _post_at_once(url, [action] * 4 + [callback] * 2)
    assert sorted(statuses) == [200] * 4 + [204] * 2
    with app.extensions["kaoping"].sessions() as session:
        assert session.scalar(select(func.count(Recording.id))) == 1
        assert session.scalar(select(Recording.status)) == "completed"
        assert session.scalar(select(Answer.value).where(Answer.question_id == "advice")) == {
            "recording_url": media, "duration": 9}


RATES = {k: 0.0 for k in ("no_answer", "busy", "machine", "failed", "refuse", "opt_out",
                          "consent_silence", "silence", "invalid_key", "special_key",
                          "record_silence")}


def _start(app, engines, auth) -> int:
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000", "max_attempts": 5,
        "delays": {"break-off": 0}}).json
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(b"phone,township\n13900010001,T01\n"), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/start", headers=planner)
    return campaign["id"]


def _answers(app) -> list[str]:
    with app.extensions["kaoping"].sessions() as session:
        return list(session.scalars(select(Answer.question_id).order_by(Answer.id)))


def test_break_off_resumes_at_the_next_attempt(make_app, engines, auth):
    profile = {"seed": 10, "rates": {**RATES, "hang_up": 1.0}}
    with phone_stack(make_app, profile=profile, townships=["T01"]) as (_url, app, board):
        campaign_id = _start(app, engines, auth)
        dialer = make_dialer(app)
        seen: list[list[str]] = []
        for _ in range(5):
            dialer.tick()
            board.wait_idle(10)
            seen.append(_answers(app))
        says = [text for call in board.calls.values() for kind, text in call.transcript
                if kind == "say"]
    with app.extensions["kaoping"].sessions() as session:
        outcomes = list(session.scalars(select(CallAttempt.outcome).order_by(CallAttempt.id)))
        status = session.scalar(select(Interview.status))
    assert outcomes[0] == "break-off" and len(outcomes) >= 2
    assert 0 < len(seen[0]) < len(seen[-1])  # the second call went on from the first
    assert all(seen[i] == seen[i + 1][:len(seen[i])] for i in range(len(seen) - 1))
    assert len(set(seen[-1])) == len(seen[-1])  # no question answered twice
    assert any("继续刚才的问题" in text for text in says)
    assert status in ("complete", "in_progress", "partial")
    assert campaign_id


def test_inbound_call_from_a_sampled_number_continues_the_interview(make_app, engines, auth):
    profile = {"seed": 5, "rates": {**RATES, "hang_up": 1.0}}
    with phone_stack(make_app, profile=profile, townships=["T01"]) as (url, app, board):
        _start(app, engines, auth)
        dialer = make_dialer(app)
        dialer.tick()
        board.wait_idle(10)
        before = _answers(app)
        carrier = app.config["TWILIO_API_BASE_URL"]
        inbound = requests.post(f"{carrier}/sim/inbound", auth=(SID, TOKEN), data={
            "From": "+8613900010001", "To": "+8657488880000",
            "Url": f"{url}/api/v1/telephony/voice/inbound",
            "StatusCallback": f"{url}/api/v1/telephony/voice/status"}, timeout=5)
        assert inbound.status_code == 201
        board.wait_idle(10)
        stranger = requests.post(f"{carrier}/sim/inbound", auth=(SID, TOKEN), data={
            "From": "+8613900099999", "To": "+8657488880000",
            "Url": f"{url}/api/v1/telephony/voice/inbound"}, timeout=5).json()
        board.wait_idle(10)
        stranger_said = board.get(stranger["sid"]).transcript
    after = _answers(app)
    with app.extensions["kaoping"].sessions() as session:
        calls = session.execute(select(CallAttempt.direction, CallAttempt.state,
                                       CallAttempt.outcome).order_by(CallAttempt.id)).all()
    assert [tuple(c) for c in calls] == [("outbound", "ended", "break-off"),
                                         ("inbound", "ended", "break-off")]
    assert len(after) > len(before) and after[:len(before)] == before
    assert any("不在本次调查范围" in text for _, text in stranger_said)
