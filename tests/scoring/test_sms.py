"""SMS through the twilio library: a SID when Twilio (here the carrier) accepts, the
error when it refuses or cannot be reached."""

from __future__ import annotations

from services.carrier.app import create_app as create_carrier
from services.carrier.config import DEFAULT_ACCOUNT_SID
from services.scoring.config import SmsSettings
from services.scoring.sms import TwilioSms
from tests.support import serving


def _sms(url: str) -> TwilioSms:
    return TwilioSms(SmsSettings(DEFAULT_ACCOUNT_SID, "sms-token", url, "+8657100000000",
                                 "https://scoring.example.org/", "", ""))


def test_sent_refused_and_unreachable():
    carrier = create_carrier({"ACCOUNTS": {DEFAULT_ACCOUNT_SID: "sms-token"}})
    with serving(carrier) as url:
        sms = _sms(url)
        assert sms.callback == "https://scoring.example.org/api/v1/reminders/status"
        sent = sms.send("+8613800138000", "提醒")
        assert sent.sid.startswith("SM") and sent.status == "queued" and sent.error is None
        refused = sms.send("138", "提醒")
        assert refused.sid is None and refused.status == "failed"
        assert refused.error.startswith("21211")
        message = carrier.extensions["carrier_outbox"].messages[sent.sid]
        assert message.status_callback == sms.callback and message.from_ == "+8657100000000"
    down = _sms(url).send("+8613800138000", "提醒")  # the carrier is gone
    assert down.sid is None and down.status == "failed" and down.error
