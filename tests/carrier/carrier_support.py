"""The simulated carrier in tests: a TwiML application that records what it is sent,
and the carrier app driven by the real twilio REST client."""

from __future__ import annotations

import threading

from flask import Flask, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from services.carrier.app import create_app

SID = "AC" + "1" * 32
TOKEN = "carrier-test-token"
HUMAN = {"seed": 7, "rates": {k: 0.0 for k in (
    "no_answer", "busy", "machine", "failed", "refuse", "opt_out", "consent_silence",
    "hang_up", "silence", "invalid_key", "special_key", "record_silence")}}


class Application:
    """A TwiML application that checks signatures and records every request it gets."""

    def __init__(self):
        self.requests: list[tuple[str, dict, bool]] = []
        self.lock = threading.Lock()
        self.validator = RequestValidator(TOKEN)
        self.app = Flask("twiml-app")
        self.app.add_url_rule("/<path:name>", view_func=self.handle, methods=["GET", "POST"])

    def handle(self, name: str):
        params = request.form.to_dict()
        valid = self.validator.validate(request.url, params,
                                        request.headers.get("X-Twilio-Signature", ""))
        with self.lock:
            self.requests.append((name, params, valid))
        response = VoiceResponse()
        if name == "start":
            response.say("您好，这是测试。")
            response.pause(length=1)
            gather = response.gather(num_digits=1, action="/answer", timeout=3)
            gather.say("满意请按1，不满意请按2。")
            response.redirect("/nothing")
        elif name == "answer":
            response.record(max_length=30, action="/recorded",
                            recording_status_callback="/recording-status")
            response.redirect("/nothing")
        elif name == "recorded":
            response.say("谢谢")
            response.hangup()
        return str(response), 200, {"Content-Type": "text/xml"}

    def named(self, name: str) -> list[dict]:
        return [params for n, params, _ in self.requests if n == name]


def carrier(profile=HUMAN, cps=50.0):
    return create_app({"ACCOUNTS": {SID: TOKEN}, "PROFILE": profile, "CPS": cps,
                       "TIME_SCALE": 0.0})


def client_for(url: str, token: str = TOKEN) -> Client:
    client = Client(SID, token)
    client.api.base_url = url
    return client
