"""Acceptance: a telephone poll of 12 townships × 50 numbers over real HTTP through the
simulated carrier, with the dialer placing calls through the twilio REST client."""

from __future__ import annotations

import io
from collections import Counter

from sqlalchemy import func, select

from services.survey.models.interviews import Answer, Interview
from services.survey.models.telephony import CallAttempt, PhoneContact
from tests.survey.telephony.phone_support import (
    frame_csv,
    make_dialer,
    make_phone_poll,
    phone_stack,
    run_campaign,
)

TOWNSHIPS = [f"T{i:02d}" for i in range(1, 13)]


def test_twelve_townships_by_phone(make_app, engines, auth):
    poll_id = make_phone_poll(engines["survey"], TOWNSHIPS, target=12, stop_at_quota=True)
    planner = auth("planner")
    with phone_stack(make_app, townships=TOWNSHIPS) as (_url, app, board):
        client = app.test_client()
        created = client.post("/api/v1/telephony/campaigns", headers=planner, json={
            "poll_id": poll_id, "name": "年中电话调查", "from_number": "+8657488880000",
            "max_attempts": 3, "max_concurrent": 24, "cps": 100,
            "delays": {"no-answer": 0, "busy": 0, "machine": 0, "break-off": 0}})
        assert created.status_code == 201, created.json
        campaign_id = created.json["id"]
        frame = frame_csv(TOWNSHIPS, 50)
        imported = client.post(f"/api/v1/telephony/campaigns/{campaign_id}/frame",
                               headers=planner, data={"file": (io.BytesIO(frame), "frame.csv")})
        assert imported.json == {"rows": 600, "imported": 600, "duplicates": 0,
                                 "do_not_call": 0}
        assert client.post(f"/api/v1/telephony/campaigns/{campaign_id}/start",
                           headers=planner).json["state"] == "running"
        run_campaign(make_dialer(app), board, campaign_id)
        progress = client.get(f"/api/v1/telephony/campaigns/{campaign_id}/progress",
                              headers=auth("analyst")).json
        estimates = client.get(f"/api/v1/polls/{poll_id}/estimates", headers=auth("analyst"))

    sessions = app.extensions["kaoping"].sessions
    with sessions() as session:
        codes = Counter(session.scalars(select(Interview.disposition)
                                        .where(Interview.poll_id == poll_id)))
        outcomes = Counter(session.scalars(select(CallAttempt.outcome)))
        duplicates = session.execute(
            select(Answer.interview_id, Answer.question_id, func.count())
            .group_by(Answer.interview_id, Answer.question_id).having(func.count() > 1)).all()
        per_township = Counter(session.scalars(
            select(PhoneContact.township).join(Interview, Interview.id == PhoneContact.interview_id)
            .where(Interview.status == "complete")))
        dialled = Counter(session.scalars(
            select(PhoneContact.township).where(PhoneContact.attempts > 0)))
        lost = session.scalar(select(func.count()).where(CallAttempt.state != "ended"))

    # every kind of outcome happened and is coded to its AAPOR disposition
    for code in ("1.1", "1.2", "2.11", "2.22", "3.13", "4.30", "4.80"):
        assert codes[code] > 0, (code, codes)
    for outcome in ("complete", "break-off", "refusal", "machine", "no-answer", "busy",
                    "failed"):
        assert outcomes[outcome] > 0, (outcome, outcomes)
    assert lost == 0 and not duplicates
    # the quota stop: calls wait while completes plus calls in flight reach 12, and a
    # township is not dialled again once its 12 completes are in
    for township in TOWNSHIPS:
        assert per_township[township] == 12, (township, per_township)
        assert dialled[township] < 50
    rows = {row["township"]: row for row in progress["townships"]}
    assert set(rows) == set(TOWNSHIPS)
    assert all(0 < row["rr3"] <= 1 and row["quota_fill"] >= 1 for row in rows.values())
    assert sum(r["completes"] for r in rows.values()) == codes["1.1"]
    assert progress["state"] == "finished" and progress["in_progress"] == 0
    assert estimates.status_code == 200, estimates.json
    assert {r["township"] for r in estimates.json["rows"]} >= set(TOWNSHIPS)
