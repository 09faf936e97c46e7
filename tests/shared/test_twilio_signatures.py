"""Twilio webhook signatures, checked against the public URL (the IVR's own cases are in
tests/survey/telephony/test_signatures.py)."""

from flask import Flask
from twilio.request_validator import RequestValidator

from shared.errors import DomainError, envelope
from shared.twilio_signatures import public_url, twilio_signed

PUBLIC = "https://kaoping.example.org/scoring"


def _app() -> Flask:
    app = Flask("signed")
    app.config.update(TWILIO_AUTH_TOKEN="token", PUBLIC_BASE_URL=PUBLIC + "/")
    app.register_error_handler(DomainError, lambda e: envelope(e.status, e.message))

    @app.post("/hook")
    @twilio_signed
    def hook():
        return {"url": public_url()}

    return app


def test_only_a_signature_of_the_public_url_and_these_parameters_passes():
    client, form = _app().test_client(), {"MessageSid": "SM1", "MessageStatus": "sent"}
    url = PUBLIC + "/hook?x=1"
    good = RequestValidator("token").compute_signature(url, form)
    assert client.post("/hook?x=1", data=form, headers={"X-Twilio-Signature": good}).json == {
        "url": url}
    assert client.post("/hook?x=1", data=form).status_code == 403
    assert client.post("/hook?x=2", data=form,
                       headers={"X-Twilio-Signature": good}).status_code == 403
    other = RequestValidator("other").compute_signature(url, form)
    assert client.post("/hook?x=1", data=form,
                       headers={"X-Twilio-Signature": other}).status_code == 403
