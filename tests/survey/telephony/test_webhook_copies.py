"""Copies of one webhook at the same moment (Twilio's retries, the Record action and its
recording status callback, which Twilio sends independently): each copy is answered
2xx and one row is stored (found by bench/chaos.py replaying every Gather 10 times)."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from services.survey.models.interviews import Answer, Interview
from services.survey.models.telephony import CallAttempt, PhoneContact, Recording
from tests.support import serving
from tests.survey.telephony.phone_support import TOKEN, make_dialer, make_phone_poll
from tests.survey.telephony.test_webhooks import PUBLIC, app, attempt, call_params, signed

__all__ = ["app", "attempt"]  # the fixtures this module uses


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


def test_a_case_completed_by_a_late_copy_of_its_last_action_is_not_dialled_again(
        app, engines, auth):
    """The call ended (its status callback came first) while a copy of its last Record
    action was still on its way; that copy completes the interview afterwards. The case
    was scheduled for a call-back by then: the dialer must close it, not call a resident
    who has answered everything (found by bench/chaos.py: a call placed to a completed
    case)."""
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000",
        "windows": ["00:00-24:00"], "weekdays": list(range(7)),
        "delays": {"break-off": 0}}).json["id"]
    client.post(f"/api/v1/telephony/campaigns/{campaign}/frame", headers=planner,
                data={"file": (io.BytesIO(b"phone,township\n13900010001,T01\n"), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{campaign}/start", headers=planner)
    now = datetime.now(UTC)
    (attempt_id,) = make_dialer(app, clock=lambda: now, client=object()).claim(campaign)
    signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt_id}&tries=1",
           call_params(Digits="1"))
    question = f"/api/v1/telephony/voice/question?attempt={attempt_id}"
    for qid, digits in (("sat", "1"), ("score", "5"), ("problem", "2"), ("years", "12#")):
        signed(client, f"{question}&q={qid}&tries=1", call_params(Digits=digits))
    signed(client, f"/api/v1/telephony/voice/status?attempt={attempt_id}",
           call_params(CallStatus="completed", CallDuration="40"))
    late = signed(client, f"/api/v1/telephony/voice/recorded?attempt={attempt_id}&q=advice",
                  call_params(RecordingUrl="https://carrier.example/RE8", RecordingSid="RE8",
                              RecordingDuration="5"))
    assert late.status_code == 200
    later = now + timedelta(minutes=1)
    assert make_dialer(app, clock=lambda: later, client=object()).claim(campaign) == []
    with app.extensions["kaoping"].sessions() as session:
        contact = session.scalars(select(PhoneContact)).one()
        interview = session.get(Interview, contact.interview_id)
        assert (contact.state, interview.status, interview.disposition) == (
            "done", "complete", "1.1")
        assert session.scalar(select(func.count(CallAttempt.id))) == 1
