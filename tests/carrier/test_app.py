"""The carrier's REST API: parameters refused as Twilio refuses them, authentication,
unknown calls."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.carrier.carrier_support import carrier, client_for
from tests.support import serving


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
