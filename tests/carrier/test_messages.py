"""SMS on the carrier (Twilio's Messages.json through the real twilio client): accepted
and delivered with signed status callbacks, refused as Twilio refuses, STOP honoured."""

from __future__ import annotations

import time

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.carrier.carrier_support import carrier, client_for
from tests.support import serving

FROM = "+8657100000000"


def _wait(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_a_message_is_delivered_with_signed_callbacks(application):
    with serving(carrier()) as url:
        messages = client_for(url).messages
        sent = messages.create(to="+8613800138000", from_=FROM, body="【提醒】测试",
                               status_callback=f"{application.url}/sms-status")
        assert sent.sid.startswith("SM") and sent.status == "queued" and sent.body == "【提醒】测试"
        assert _wait(lambda: len(application.named("sms-status")) == 2)
        undelivered = messages.create(to="+8613900000000", from_=FROM, body="x",
                                      status_callback=f"{application.url}/sms-status")
        assert _wait(lambda: len(application.named("sms-status")) == 4)
        assert [m.sid for m in messages.list(to="+8613800138000")] == [sent.sid]
    statuses = [(p["MessageSid"], p["MessageStatus"]) for p in application.named("sms-status")]
    assert statuses == [(sent.sid, "sent"), (sent.sid, "delivered"),
                        (undelivered.sid, "sent"), (undelivered.sid, "undelivered")]
    assert all(valid for name, _p, valid in application.requests if name == "sms-status")
    assert application.named("sms-status")[3]["ErrorCode"] == "30003"


@pytest.mark.parametrize(("to", "body", "code"), [
    ("13800138000", "x", 21211), ("+8613800138000", "", 21602),
    ("+8613800138000", "x" * 1601, 21617)])
def test_bad_messages_are_refused_like_twilio(to, body, code):
    with serving(carrier()) as url:
        with pytest.raises(TwilioRestException) as raised:
            client_for(url).messages.create(to=to, from_=FROM, body=body)
    assert raised.value.code == code and raised.value.status == 400


def test_a_stop_reply_unsubscribes_the_number(application):
    app = carrier()
    with serving(app) as url:
        client = client_for(url)
        reply = client.http_client.request(
            "POST", f"{url}/sim/sms-reply", auth=client.auth,
            data={"From": "+8613800138000", "To": FROM, "Body": "退订",
                  "SmsUrl": f"{application.url}/inbound"})
        assert reply.status_code == 200
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to="+8613800138000", from_=FROM, body="x")
        assert raised.value.code == 21610
        client.http_client.request("POST", f"{url}/sim/sms-reply", auth=client.auth,
                                   data={"From": "+8613800138000", "Body": "START"})
        assert client.messages.create(to="+8613800138000", from_=FROM, body="x").sid
    inbound = application.named("inbound")
    assert inbound[0]["Body"] == "退订" and inbound[0]["From"] == "+8613800138000"
