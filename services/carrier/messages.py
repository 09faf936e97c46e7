"""SMS as Twilio's Messaging API takes them: ``POST /2010-04-01/Accounts/{Sid}/Messages.json``.

A message is accepted (201, status ``queued``) when ``To``/``From`` are E.164 and the
``Body`` is 1..1600 characters; a thread then moves it through ``sent`` to ``delivered``
(or ``undelivered`` for a number in ``UNDELIVERABLE``) and posts each status to the
message's ``StatusCallback``, signed as Twilio signs (``X-Twilio-Signature``, the
account's auth token). A number that replied STOP (``POST /sim/sms-reply`` with
``Body=STOP``) is refused with Twilio's error 21610, as Twilio refuses unsubscribed
recipients; the reply is also posted, signed, to ``SmsUrl`` when one is given.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from twilio.request_validator import RequestValidator

from services.carrier.calls import API_VERSION, new_sid, rfc2822
from services.carrier.validation import E164, TwilioError, _valid_url

log = logging.getLogger("kaoping.carrier")
STOP_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TD", "退订")
START_WORDS = ("START", "UNSTOP", "YES")
# Numbers whose messages the simulated network cannot deliver (error 30003).
UNDELIVERABLE = ("+8613900000000",)


@dataclass
class Message:
    """One SMS as the carrier keeps it; ``resource()`` is Twilio's JSON."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    status: str = "queued"
    error_code: int | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    def resource(self) -> dict:
        return {"sid": self.sid, "account_sid": self.account_sid, "to": self.to,
                "from": self.from_, "body": self.body, "status": self.status,
                "num_segments": str(1 + len(self.body) // 70), "direction": "outbound-api",
                "api_version": API_VERSION, "date_created": rfc2822(self.created),
                "date_updated": rfc2822(self.updated), "date_sent": None,
                "error_code": self.error_code, "error_message": None, "price": None,
                "price_unit": "USD", "messaging_service_sid": None, "num_media": "0",
                "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json",
                "subresource_uris": {}}


class Outbox:
    """The messages sent through the carrier and the numbers that opted out."""

    def __init__(self, token_for, http_timeout: float = 10.0, delay_s: float = 0.05):
        self.token_for = token_for
        self.http_timeout = http_timeout
        self.delay_s = delay_s
        self.messages: dict[str, Message] = {}
        self.stopped: set[str] = set()
        self._lock = threading.Lock()

    def send(self, account_sid: str, form) -> Message:
        """Validate and queue a message (raise TwilioError as Twilio does)."""
        to, from_, body = form.get("To"), form.get("From"), form.get("Body") or ""
        if not to:
            raise TwilioError(21604, "A 'To' phone number is required")
        if not E164.match(to):
            raise TwilioError(21211, f"Invalid 'To' Phone Number: {to}")
        if not from_ or not E164.match(from_):
            raise TwilioError(21212, f"Invalid 'From' Phone Number: {from_}")
        if not body.strip():
            raise TwilioError(21602, "Message body is required")
        if len(body) > 1600:
            raise TwilioError(21617, "The concatenated message body exceeds the 1600 "
                                     "character limit")
        callback = form.get("StatusCallback")
        if callback and not _valid_url(callback):
            raise TwilioError(21609, f"Invalid 'StatusCallback': {callback}")
        if to in self.stopped:
            raise TwilioError(21610, "Attempt to send to unsubscribed recipient")
        message = Message(new_sid("SM"), account_sid, to, from_, body, callback or None)
        with self._lock:
            self.messages[message.sid] = message
        threading.Thread(target=self._deliver, args=(message,), daemon=True).start()
        return message

    def _deliver(self, message: Message) -> None:
        final = "undelivered" if message.to in UNDELIVERABLE else "delivered"
        for status in ("sent", final):
            threading.Event().wait(self.delay_s)
            message.status, message.updated = status, datetime.now(UTC)
            if status == "undelivered":
                message.error_code = 30003
            self._callback(message)

    def _callback(self, message: Message) -> None:
        if not message.status_callback:
            return
        params = {"MessageSid": message.sid, "SmsSid": message.sid,
                  "AccountSid": message.account_sid, "From": message.from_, "To": message.to,
                  "MessageStatus": message.status, "SmsStatus": message.status,
                  "ApiVersion": API_VERSION}
        if message.error_code:
            params["ErrorCode"] = str(message.error_code)
        self.post_signed(message.account_sid, message.status_callback, params)

    def post_signed(self, account_sid: str, url: str, params: dict) -> None:
        signature = RequestValidator(self.token_for(account_sid) or "").compute_signature(
            url, params)
        try:
            requests.post(url, data=params, headers={"X-Twilio-Signature": signature},
                          timeout=self.http_timeout)
        except requests.RequestException as exc:
            log.warning("SMS webhook to %s failed: %s", url, exc)

    def reply(self, account_sid: str, form) -> dict:
        """A recipient answers (``From`` the recipient, ``To`` our number, ``Body``);
        STOP words unsubscribe the number, START words subscribe it again."""
        number, word = form.get("From") or "", (form.get("Body") or "").strip().upper()
        if not E164.match(number):
            raise TwilioError(21212, f"Invalid 'From' Phone Number: {number}")
        if word in STOP_WORDS:
            self.stopped.add(number)
        elif word in START_WORDS:
            self.stopped.discard(number)
        if form.get("SmsUrl"):
            self.post_signed(account_sid, form["SmsUrl"], {
                "MessageSid": new_sid("SM"), "AccountSid": account_sid, "From": number,
                "To": form.get("To") or "", "Body": form.get("Body") or "",
                "ApiVersion": API_VERSION})
        return {"from": number, "stopped": number in self.stopped}
