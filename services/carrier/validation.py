"""Parameters of ``POST /2010-04-01/Accounts/{Sid}/Calls.json``, checked as Twilio checks them.

Errors carry Twilio's codes and JSON shape ``{code, message, more_info, status}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
MACHINE_DETECTION = ("Enable", "DetectMessageEnd")
METHODS = ("GET", "POST")


class TwilioError(Exception):
    """A Twilio-shaped API error."""

    def __init__(self, code: int, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict:
        return {"code": self.code, "message": self.message,
                "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
                "status": self.status}


@dataclass
class CallRequest:
    """A validated request to place an outbound call."""

    to: str
    from_: str
    url: str
    method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("completed",)
    machine_detection: str | None = None
    timeout: int = 60
    extra: dict = field(default_factory=dict)


def _valid_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(value) <= 4000


def _method(form, name: str, code: int) -> str:
    value = (form.get(name) or "POST").upper()
    if value not in METHODS:
        raise TwilioError(code, f"{name} must be GET or POST, got {form.get(name)!r}")
    return value


def parse_call_request(form) -> CallRequest:
    """Validate a Calls.json form (a werkzeug MultiDict); raise TwilioError as Twilio does."""
    to, from_ = form.get("To"), form.get("From")
    if not to:
        raise TwilioError(21201, "No 'To' number is specified")
    if not E164.match(to):
        raise TwilioError(21211, f"Invalid 'To' Phone Number: {to}")
    if not from_:
        raise TwilioError(21213, "No 'From' number is specified")
    if not E164.match(from_):
        raise TwilioError(21212, f"Invalid 'From' Phone Number: {from_}")
    url = form.get("Url")
    if not url:
        raise TwilioError(21205, "Url parameter is required (this carrier does not host "
                                 "Twiml or ApplicationSid)")
    if not _valid_url(url):
        raise TwilioError(21205, f"Url is not a valid URL: {url}")
    callback = form.get("StatusCallback")
    if callback and not _valid_url(callback):
        raise TwilioError(21609, f"Invalid 'StatusCallback': {callback}")
    events = tuple(e.strip() for value in form.getlist("StatusCallbackEvent")
                   for e in value.replace(",", " ").split() if e.strip())
    bad = [e for e in events if e not in STATUS_EVENTS]
    if bad:
        raise TwilioError(21626, f"Invalid 'StatusCallbackEvent': {', '.join(bad)}")
    detection = form.get("MachineDetection")
    if detection and detection not in MACHINE_DETECTION:
        raise TwilioError(21234, f"Invalid Machine Detection configuration value: {detection}")
    try:
        timeout = int(form.get("Timeout") or 60)
    except ValueError:
        raise TwilioError(21216, "Timeout must be an integer") from None
    return CallRequest(
        to=to, from_=from_, url=url, method=_method(form, "Method", 21208),
        status_callback=callback or None,
        status_callback_method=_method(form, "StatusCallbackMethod", 21610),
        status_callback_events=events or ("completed",),
        machine_detection=detection or None, timeout=max(5, min(timeout, 600)))
