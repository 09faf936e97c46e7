"""Parameters of a call checked as Twilio checks them: each refusal has Twilio's code and
JSON shape, through the real twilio client and on the form itself; what is accepted
gets Twilio's defaults."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from werkzeug.datastructures import MultiDict

from services.carrier.validation import CallRequest, TwilioError, parse_call_request
from tests.carrier.carrier_support import carrier, client_for
from tests.support import serving

GOOD = {"To": "+8613900010001", "From": "+8657400000000", "Url": "https://survey.example/a"}


def test_invalid_parameters_answer_like_twilio(application):
    with serving(carrier()) as url:
        calls = client_for(url).api.v2010.account.calls
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
    assert not application.requests


def _refusal(**changes) -> TwilioError:
    form = MultiDict({k: v for k, v in {**GOOD, **changes}.items() if v is not None})
    with pytest.raises(TwilioError) as raised:
        parse_call_request(form)
    return raised.value


@pytest.mark.parametrize(("changes", "code", "message"), [
    ({"To": None}, 21201, "No 'To' number is specified"),
    ({"To": "+0123456789"}, 21211, "Invalid 'To' Phone Number: +0123456789"),
    ({"To": "+86" + "1" * 14}, 21211, "Invalid 'To' Phone Number: +86" + "1" * 14),
    ({"From": ""}, 21213, "No 'From' number is specified"),
    ({"Url": None}, 21205, "Url parameter is required (this carrier does not host Twiml or "
                           "ApplicationSid)"),
    ({"Url": "https://" + "a" * 4000}, 21205, "Url is not a valid URL: https://" + "a" * 4000),
    ({"Url": "https:///nohost"}, 21205, "Url is not a valid URL: https:///nohost"),
    ({"Method": "PUT"}, 21208, "Method must be GET or POST, got 'PUT'"),
    ({"StatusCallbackMethod": "DELETE"}, 21610,
     "StatusCallbackMethod must be GET or POST, got 'DELETE'"),
    ({"Timeout": "soon"}, 21216, "Timeout must be an integer"),
], ids=["no To", "To not E.164", "To too long", "no From", "no Url", "Url too long",
        "Url without host", "Method", "StatusCallbackMethod", "Timeout"])
def test_each_refusal_has_twilios_code_and_says_why(changes, code, message):
    error = _refusal(**changes)
    assert (error.code, error.message, error.status) == (code, message, 400)


def test_an_error_body_has_twilios_shape():
    assert _refusal(Timeout="x").body() == {
        "code": 21216, "message": "Timeout must be an integer",
        "more_info": "https://www.twilio.com/docs/errors/21216", "status": 400}
    assert TwilioError(20003, "Authenticate", status=401).body()["status"] == 401


def test_an_accepted_call_gets_twilios_defaults():
    assert parse_call_request(MultiDict(GOOD)) == CallRequest(
        to="+8613900010001", from_="+8657400000000", url="https://survey.example/a",
        method="POST", status_callback=None, status_callback_method="POST",
        status_callback_events=("completed",), machine_detection=None, timeout=60)


def test_callback_events_in_any_spelling_and_the_timeout_held_within_5_to_600_seconds():
    form = MultiDict([*GOOD.items(), ("StatusCallback", "http://survey.example/status"),
                      ("StatusCallbackEvent", "initiated ringing"),
                      ("StatusCallbackEvent", "answered,completed"), ("Method", "get"),
                      ("StatusCallbackMethod", "get"), ("MachineDetection", "DetectMessageEnd"),
                      ("Timeout", "1")])
    request = parse_call_request(form)
    assert request.status_callback_events == ("initiated", "ringing", "answered", "completed")
    assert (request.method, request.status_callback_method) == ("GET", "GET")
    assert request.status_callback == "http://survey.example/status"
    assert request.machine_detection == "DetectMessageEnd" and request.timeout == 5
    assert parse_call_request(MultiDict({**GOOD, "Timeout": "3600"})).timeout == 600
