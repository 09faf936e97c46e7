"""Synthetic respondents: outcomes follow the profile's rates; a person silent at
consent presses nothing."""

from __future__ import annotations

import pytest

from tests.carrier.carrier_support import HUMAN, carrier, client_for
from tests.support import serving


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
