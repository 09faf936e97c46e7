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


def test_the_direct_check_is_twilios_signature_and_twilio_decides_the_rest():
    """``signs`` computes exactly what twilio's validator computes (multi-valued, unicode
    and empty parameters, no parameters); a signature of the URL with the port added or
    removed is left to twilio's validator and still accepted there."""
    from werkzeug.datastructures import MultiDict

    from shared.twilio_signatures import signs

    validator = RequestValidator(TOKEN)
    url = "https://ivr.example.cn/api/v1/telephony/voice/question?attempt=7&q=sat&tries=1"
    for params in (MultiDict([("Digits", "1"), ("CallSid", "CA1"), ("Digits", "0"),
                              ("SpeechResult", "满意"), ("Empty", "")]),
                   {"CallSid": "CA1", "Digits": "#"}, {}):
        signature = validator.compute_signature(url, params)
        assert signs(TOKEN, url, params, signature)
        assert not signs("other-token", url, params, signature)
        assert not signs(TOKEN, url + "&x=1", params, signature)
        assert not signs(TOKEN, url, params, signature[:-2] + "==")
    with_port = url.replace(".cn/", ".cn:443/")
    signature = validator.compute_signature(with_port, {"Digits": "1"})
    assert not signs(TOKEN, url, {"Digits": "1"}, signature)
    assert validator.validate(url, {"Digits": "1"}, signature)


def test_a_signature_of_the_url_with_its_port_is_accepted(app, attempt):
    """The fallback to twilio's validator: Twilio may sign the URL with the default port."""
    client = app.test_client()
    path = f"/api/v1/telephony/voice/answer?attempt={attempt}"
    port = "443" if PUBLIC.startswith("https") else "80"
    host_end = PUBLIC.index("/", PUBLIC.index("//") + 2) if PUBLIC.count("/") > 2 else None
    with_port = (PUBLIC[:host_end] + f":{port}" + PUBLIC[host_end:] if host_end
                 else PUBLIC + f":{port}") + path
    params = call_params(AnsweredBy="human")
    response = client.post(path, data=params, headers={
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(with_port, params)})
    assert response.status_code == 200 and "<Gather" in response.text
