"""The carrier's REST API: authentication, unknown calls. (Parameters refused as Twilio
refuses them: test_validation.py.)"""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.carrier.carrier_support import carrier, client_for
from tests.support import serving


def test_a_wrong_token_and_an_unknown_call_answer_like_twilio(application):
    with serving(carrier()) as url:
        calls = client_for(url).api.v2010.account.calls
        with pytest.raises(TwilioRestException) as raised:
            client_for(url, token="wrong").api.v2010.account.calls.create(
                to="+8613900010001", from_="+8657400000000", url=f"{application.url}/start")
        assert (raised.value.status, raised.value.code) == (401, 20003)
        with pytest.raises(TwilioRestException) as raised:
            calls("CA" + "0" * 32).fetch()
        assert raised.value.status == 404
    assert not application.requests
