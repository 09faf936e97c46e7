"""Copies of one webhook at the same moment (Twilio's retries, the Record action and its
recording status callback, which Twilio sends independently): each copy is answered
2xx and one row is stored (found by bench/chaos.py replaying every Gather 10 times)."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from services.survey.models.interview import Answer
from services.survey.models.telephony import Recording
from tests.support import serving
from tests.survey.telephony.phone_support import TOKEN
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
