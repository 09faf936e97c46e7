"""Playing a call: TwiML fetched and signed as Twilio signs it, status and recording
callbacks, a Gather without input."""

from __future__ import annotations

from flask import Flask, request
from twilio.twiml.voice_response import VoiceResponse

from tests.carrier.carrier_support import HUMAN, carrier, client_for
from tests.support import serving


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
