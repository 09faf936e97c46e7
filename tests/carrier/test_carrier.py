"""The simulated carrier, driven by the real twilio REST client over HTTP."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask, request
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from services.carrier.app import create_app
from tests.support import serving

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


@pytest.fixture
def application():
    app = Application()
    with serving(app.app) as url:
        app.url = url
        yield app


def carrier(profile=HUMAN, cps=50.0):
    return create_app({"ACCOUNTS": {SID: TOKEN}, "PROFILE": profile, "CPS": cps,
                       "TIME_SCALE": 0.0})


def client_for(url: str, token: str = TOKEN) -> Client:
    client = Client(SID, token)
    client.api.base_url = url
    return client


def test_call_plays_twiml_signs_requests_and_posts_status_callbacks(application):
    app = carrier()
    with serving(app) as url:
        client = client_for(url)
        call = client.api.v2010.account.calls.create(
            to="+8613900010001", from_="+8657400000000", url=f"{application.url}/start",
            status_callback=f"{application.url}/status",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            machine_detection="Enable")
        assert call.sid.startswith("CA") and call.status == "queued"
        assert app.extensions["carrier"].wait_idle(10)
        fetched = client.api.v2010.account.calls(call.sid).fetch()
    assert fetched.status == "completed" and fetched.answered_by == "human"
    assert int(fetched.duration) > 0
    assert all(valid for _, _, valid in application.requests)
    statuses = [p["CallStatus"] for p in application.named("status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    completed = application.named("status")[-1]
    assert completed["CallDuration"] == fetched.duration and completed["AnsweredBy"] == "human"
    answer = application.named("answer")[0]
    assert answer["Digits"] in {"1", "2"} and answer["CallSid"] == call.sid
    recorded = application.named("recorded")[0]
    assert recorded["RecordingSid"].startswith("RE") and int(recorded["RecordingDuration"]) > 0
    status = application.named("recording-status")[0]
    assert status["RecordingStatus"] == "completed"
    assert not application.named("nothing")  # Hangup ended the call before the Redirect


def test_invalid_parameters_answer_like_twilio(application):
    with serving(carrier()) as url:
        client = client_for(url)
        calls = client.api.v2010.account.calls
        cases = [
            (dict(to="13900010001", from_="+8657400000000", url=f"{application.url}/start"), 21211),
            (dict(to="+8613900010001", from_="abc", url=f"{application.url}/start"), 21212),
            (dict(to="+8613900010001", from_="+8657400000000", url="ftp://x"), 21205),
            (dict(to="+8613900010001", from_="+8657400000000", url=f"{application.url}/start",
                  status_callback_event=["ringing", "exploded"]), 21626),
            (dict(to="+8613900010001", from_="+8657400000000", url=f"{application.url}/start",
                  machine_detection="Sometimes"), 21234),
            (dict(to="+8613900010001", from_="+8657400000000", url=f"{application.url}/start",
                  status_callback="not a url"), 21609),
        ]
        for kwargs, code in cases:
            with pytest.raises(TwilioRestException) as raised:
                calls.create(**kwargs)
            assert (raised.value.status, raised.value.code) == (400, code), kwargs
        with pytest.raises(TwilioRestException) as raised:
            client_for(url, token="wrong").api.v2010.account.calls.create(
                to="+8613900010001", from_="+8657400000000", url=f"{application.url}/start")
        assert (raised.value.status, raised.value.code) == (401, 20003)
        with pytest.raises(TwilioRestException) as raised:
            calls("CA" + "0" * 32).fetch()
        assert raised.value.status == 404
    assert not application.requests


@pytest.mark.parametrize("rate,status,answered_by", [
    ("busy", "busy", None), ("no_answer", "no-answer", None), ("failed", "failed", None),
    ("machine", "completed", "machine_start")])
def test_outcomes_follow_the_profile(application, rate, status, answered_by):
    profile = {**HUMAN, "rates": {**HUMAN["rates"], rate: 1.0}}
    app = carrier(profile)
    with serving(app) as url:
        calls = client_for(url).api.v2010.account.calls
        call = calls.create(to="+8613900020001", from_="+8657400000000",
                            url=f"{application.url}/start",
                            status_callback=f"{application.url}/status",
                            machine_detection="Enable")
        assert app.extensions["carrier"].wait_idle(10)
        fetched = calls(call.sid).fetch()
    assert fetched.status == status and fetched.answered_by == answered_by
    assert [p["CallStatus"] for p in application.named("status")] == [status]
    if answered_by:  # a machine never presses a key
        assert application.named("start")[0]["AnsweredBy"] == "machine_start"
        assert not application.named("answer")
    else:
        assert not application.named("start")


def test_a_person_silent_at_consent_answers_and_presses_nothing(application):
    profile = {**HUMAN, "rates": {**HUMAN["rates"], "consent_silence": 1.0}}
    app = carrier(profile)
    with serving(app) as url:
        call = client_for(url).api.v2010.account.calls.create(
            to="+8613900020002", from_="+8657400000000", url=f"{application.url}/start",
            machine_detection="Enable")
        assert app.extensions["carrier"].wait_idle(10)
        record = app.extensions["carrier"].get(call.sid)
    assert application.named("start")[0]["AnsweredBy"] == "human"
    assert not application.named("answer")  # nothing pressed: the Gather fell through
    assert ("gather", "") in record.transcript and record.status == "completed"


def test_calls_per_second_limit_and_concurrency(application):
    app = carrier(cps=20.0)
    with serving(app) as url:
        calls = client_for(url).api.v2010.account.calls
        started = time.monotonic()
        sids = [calls.create(to=f"+86139000300{i:02d}", from_="+8657400000000",
                             url=f"{application.url}/start").sid for i in range(11)]
        assert app.extensions["carrier"].wait_idle(20)
        board = app.extensions["carrier"]
    starts = sorted(board.started_at)
    assert starts[-1] - starts[0] >= 10 / 20.0 - 0.01  # 11 starts at 20 per second
    assert time.monotonic() - started < 10
    assert {board.get(s).status for s in sids} == {"completed"}
    assert len({p["CallSid"] for p in application.named("start")}) == 11


def test_gather_without_input_falls_through_or_posts_empty_result():
    seen = []
    app_ = Flask("twiml-empty")

    @app_.post("/start")
    def start():
        seen.append(("start", request.form.get("Digits")))
        response = VoiceResponse()
        response.gather(num_digits=1, action="/empty", action_on_empty_result=True, timeout=2)
        return str(response), 200, {"Content-Type": "text/xml"}

    @app_.post("/empty")
    def empty():
        seen.append(("empty", request.form.get("Digits")))
        response = VoiceResponse()
        response.gather(num_digits=1, action="/never", timeout=2)
        response.say("fall through")
        return str(response), 200, {"Content-Type": "text/xml"}

    profile = {**HUMAN, "rates": {**HUMAN["rates"], "silence": 1.0}}
    app = carrier(profile)
    with serving(app_) as twiml, serving(app) as url:
        call = client_for(url).api.v2010.account.calls.create(
            to="+8613900040001", from_="+8657400000000", url=f"{twiml}/start")
        assert app.extensions["carrier"].wait_idle(10)
        record = app.extensions["carrier"].get(call.sid)
    # the second Gather has no actionOnEmptyResult: silence falls through to the Say
    assert seen == [("start", None), ("empty", "")]
    assert record.status == "completed" and ("say", "fall through") in record.transcript


def test_the_switchboard_forgets_the_oldest_finished_calls(monkeypatch):
    import services.carrier.calls as calls
    from services.carrier.validation import CallRequest

    monkeypatch.setattr(calls, "KEEP_CALLS", 3)
    board = carrier().extensions["carrier"]
    monkeypatch.setattr(board, "_ensure_dispatcher", lambda: None)
    request = CallRequest(to="+8613900050001", from_="+8657400000000", url="http://x/")
    first = [board.place(SID, request) for _ in range(3)]
    first[0].status = first[1].status = "completed"
    board.place(SID, request)
    assert [c.sid in board.calls for c in first] == [False, True, True]
    assert len(board.calls) == 3 and board.attempts["+8613900050001"] == 4
