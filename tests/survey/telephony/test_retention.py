"""Retention of the Twilio webhooks' idempotency records: old records of ended calls
go, recent ones and those of calls in progress stay, a replay after the purge is
harmless; ``kaoping survey purge-webhook-records`` and the dialer's hourly purge."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from services.cli import main
from services.survey.models import IdempotencyRecord
from services.survey.models.interviews import Answer, Interview
from services.survey.models.telephony import CallAttempt
from services.survey.telephony.retention import purge_webhook_records
from shared.db import session_scope, utcnow
from tests.survey.telephony.phone_support import TOKEN, make_dialer, make_phone_poll

PUBLIC = "https://survey.example.org"
ENDED_SID, LIVE_SID = "CA" + "e" * 32, "CA" + "f" * 32
VOICE = "/api/v1/telephony/voice"


def _post(client, path: str, sid: str, **params):
    data = {"CallSid": sid, "AccountSid": "AC" + "5" * 32, "From": "+8657488880000",
            "To": "+8613900010001", "CallStatus": "in-progress", **params}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, data)
    response = client.post(path, data=data, headers={"X-Twilio-Signature": signature})
    assert response.status_code in (200, 204), response.text
    return response


@pytest.fixture
def calls(app, engines, auth):
    """Two calls that answered consent and one question: the first has ended, the
    second is still in progress. Returns (ended attempt id, live attempt id)."""
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000"}).json
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(b"phone,township\n13900010001,T01\n"
                                          b"13900010002,T01\n"), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/start", headers=planner)
    ended, live = make_dialer(app, client=object()).claim(campaign["id"])
    for attempt, sid in ((ended, ENDED_SID), (live, LIVE_SID)):
        _post(client, f"{VOICE}/answer?attempt={attempt}", sid)
        _post(client, f"{VOICE}/consent?attempt={attempt}&tries=1", sid, Digits="1")
        _post(client, f"{VOICE}/question?attempt={attempt}&q=sat&tries=1", sid, Digits="2")
    _post(client, f"{VOICE}/status?attempt={ended}", ENDED_SID, CallStatus="completed",
          CallDuration="40")
    return ended, live


def _age(app, sid: str, step: str, days: float) -> None:
    with session_scope(app.extensions["kaoping"].sessions) as session:
        assert session.execute(update(IdempotencyRecord).where(
            IdempotencyRecord.key == f"{sid}:{step}:1").values(
            created_at=utcnow() - timedelta(days=days))).rowcount == 1


def _keys(app) -> set[str]:
    with app.extensions["kaoping"].sessions() as session:
        return set(session.scalars(select(IdempotencyRecord.key).where(
            IdempotencyRecord.scope == "twilio-webhook")))


def _disposition(app, attempt_id: int) -> str:
    with app.extensions["kaoping"].sessions() as session:
        attempt = session.get(CallAttempt, attempt_id)
        return session.get(Interview, attempt.contact.interview_id).disposition


def test_old_records_of_ended_calls_go_and_the_rest_stay(app, calls):
    ended, live = calls
    with app.extensions["kaoping"].sessions() as session:
        assert session.get(CallAttempt, ended).state == "ended"
        assert session.get(CallAttempt, live).state == "in-progress"
    every = {f"{sid}:{step}:1" for sid in (ENDED_SID, LIVE_SID) for step in ("consent", "sat")}
    assert _keys(app) == every
    _age(app, ENDED_SID, "consent", 31)  # past the 30 days
    _age(app, ENDED_SID, "sat", 29)  # within them
    _age(app, LIVE_SID, "consent", 400)  # old, but the call is still in progress
    with session_scope(app.extensions["kaoping"].sessions) as session:
        assert purge_webhook_records(session, utcnow(), 30) == 1
    assert _keys(app) == every - {f"{ENDED_SID}:consent:1"}
    with session_scope(app.extensions["kaoping"].sessions) as session:
        assert purge_webhook_records(session, utcnow(), 28) == 1
        assert purge_webhook_records(session, utcnow() + timedelta(days=500), 30) == 0
    assert _keys(app) == {f"{LIVE_SID}:consent:1", f"{LIVE_SID}:sat:1"}


def test_a_replay_after_the_purge_stores_nothing_twice(app, calls):
    ended, _live = calls
    disposition = _disposition(app, ended)
    with session_scope(app.extensions["kaoping"].sessions) as session:
        assert purge_webhook_records(session, utcnow() + timedelta(days=31), 30) == 2
    replay = _post(app.test_client(), f"{VOICE}/question?attempt={ended}&q=sat&tries=1",
                   ENDED_SID, Digits="3")  # even with other digits than the first time
    assert "q=score" in replay.text  # moves on; the stored answer is kept
    with app.extensions["kaoping"].sessions() as session:
        assert session.scalars(select(Answer.value).where(Answer.question_id == "sat")).all() \
            == [2, 2]
        assert session.scalar(select(func.count(Answer.id))) == 2
        assert session.get(CallAttempt, ended).state == "ended"
    assert _disposition(app, ended) == disposition


def test_cli_and_the_dialers_hourly_purge(app, calls, engines, monkeypatch, capsys):
    ended, _live = calls
    monkeypatch.setenv("SURVEY_DATABASE_URL",
                       engines["survey"].url.render_as_string(hide_password=False))
    monkeypatch.setenv("WEBHOOK_RECORD_RETENTION_DAYS", "7")
    _age(app, ENDED_SID, "consent", 8)
    assert main(["survey", "purge-webhook-records"]) == 0
    assert "deleted 1 webhook records older than 7 days" in capsys.readouterr().out
    _age(app, ENDED_SID, "sat", 8)
    dialer = make_dialer(app, client=object(), clock=utcnow, retention_days=7)
    assert dialer.maintain() == 1
    _age(app, LIVE_SID, "sat", 8)
    with session_scope(app.extensions["kaoping"].sessions) as session:
        session.execute(update(CallAttempt).where(CallAttempt.call_sid == LIVE_SID)
                        .values(state="ended"))
    assert dialer.maintain() is None  # not an hour since the last purge
    assert f"{LIVE_SID}:sat:1" in _keys(app)
    monkeypatch.setenv("WEBHOOK_RECORD_RETENTION_DAYS", "0")
    assert main(["survey", "purge-webhook-records"]) == 2  # a configuration error
