"""The Twilio API as the survey uses it: the REST client talks to the configured voice
API (here the simulated carrier, over HTTP) with the account's credentials, and the IVR's
webhook URLs sit under the public URL."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from services.carrier.app import create_app as create_carrier
from services.survey.telephony.twilio_api import rest_client, webhook_url
from tests.support import serving
from tests.survey.telephony.phone_support import SID, TOKEN


@pytest.fixture
def carrier(monkeypatch):
    """The carrier, served; its calls are queued and never played."""
    app = create_carrier({"ACCOUNTS": {SID: TOKEN}, "PROFILE": {}, "TIME_SCALE": 0.0})
    board = app.extensions["carrier"]
    monkeypatch.setattr(board, "_ensure_dispatcher", lambda: None)
    with serving(app) as url:
        yield url, board


def _config(url: str, token: str = TOKEN) -> dict[str, str]:
    return {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": token,
            "TWILIO_API_BASE_URL": url + "/"}


def test_the_rest_client_places_and_reads_calls_on_the_configured_api(carrier):
    url, board = carrier
    client = rest_client(_config(url))
    assert client.api.base_url == url  # the trailing slash dropped
    call = client.api.v2010.account.calls.create(
        to="+8613900070001", from_="+8657400000000", url="https://survey.example.org/start")
    placed = board.get(call.sid)
    assert placed.account_sid == SID and placed.request.to == "+8613900070001"
    assert placed.request.url == "https://survey.example.org/start"
    assert client.api.v2010.account.calls(call.sid).fetch().status == "queued"


def test_the_rest_client_signs_in_with_the_account_token(carrier):
    url, board = carrier
    with pytest.raises(TwilioRestException) as refused:
        rest_client(_config(url, token="wrong")).api.v2010.account.calls.create(
            to="+8613900070001", from_="+8657400000000", url="https://survey.example.org/")
    assert refused.value.status == 401 and not board.calls


def test_webhook_urls_sit_under_the_public_url_with_their_parameters():
    assert webhook_url("https://survey.example.org/", "start") == (
        "https://survey.example.org/api/v1/telephony/voice/start")
    assert webhook_url("https://survey.example.org/kp", "question", attempt=12, q="q3") == (
        "https://survey.example.org/kp/api/v1/telephony/voice/question?attempt=12&q=q3")
