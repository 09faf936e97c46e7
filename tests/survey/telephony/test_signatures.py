"""Webhook authentication: a missing, forged or replayed-with-other-parameters
``X-Twilio-Signature`` is a 403, on every webhook."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from services.survey.models.interviews import Answer
from services.survey.models.telephony import CallAttempt
from tests.survey.telephony.phone_support import PUBLIC, TOKEN, call_params, signed


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
        assert session.scalars(select(Answer)).all() == []
