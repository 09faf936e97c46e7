"""Break-off and call-back: a partial interview resumes at the next attempt from the
break-off question, and an inbound call from the sampled number continues it."""

from __future__ import annotations

import io

import requests
from sqlalchemy import select

from services.survey.models.interviews import Answer, Interview
from services.survey.models.telephony import CallAttempt
from tests.survey.telephony.phone_support import (
    SID,
    TOKEN,
    make_dialer,
    make_phone_poll,
    phone_stack,
)

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
