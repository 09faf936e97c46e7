"""SMS through Twilio's Messaging API with the ``twilio`` library (the survey's account;
``TWILIO_API_BASE_URL`` points it at the simulated carrier or another compatible
endpoint), each message with a status callback to this service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Sent:
    """What Twilio answered: the message SID and status, or the error (no SID)."""

    sid: str | None
    status: str
    error: str | None = None


class TwilioSms:
    """Sends messages from ``from_number`` on the account of ``settings``
    (``services.scoring.config.SmsSettings``)."""

    def __init__(self, settings):
        from twilio.rest import Client

        self.settings = settings
        self.client = Client(settings.account_sid, settings.auth_token)
        self.client.api.base_url = settings.api_base_url.rstrip("/")
        self.callback = f"{settings.public_base_url.rstrip('/')}/api/v1/reminders/status"

    def send(self, to: str, body: str) -> Sent:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.messages.create(to=to, from_=self.settings.from_number,
                                                  body=body, status_callback=self.callback)
        except TwilioRestException as exc:
            return Sent(None, "failed", f"{exc.code}: {exc.msg}")
        except (TwilioException, OSError) as exc:
            return Sent(None, "failed", str(exc)[:300])
        return Sent(message.sid, message.status or "queued")
