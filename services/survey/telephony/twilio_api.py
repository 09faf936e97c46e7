"""The Twilio API as the survey service uses it: the REST client that places calls, and
the URLs of the IVR's webhooks that Twilio calls back.

The settings (``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_API_BASE_URL``,
``PUBLIC_BASE_URL``) are read by ``services.survey.config.TwilioSettings`` and passed in
as a dict under those names.
"""

from __future__ import annotations


def rest_client(config: dict[str, str]):
    """A ``twilio.rest.Client`` whose voice API is ``TWILIO_API_BASE_URL``."""
    from twilio.rest import Client

    client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
    client.api.base_url = config["TWILIO_API_BASE_URL"].rstrip("/")
    return client


def webhook_url(public_base_url: str, step: str, **params) -> str:
    """URL of an IVR webhook (``/api/v1/telephony/voice/<step>``) under the public URL."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return (f"{public_base_url.rstrip('/')}/api/v1/telephony/voice/{step}"
            + (f"?{query}" if query else ""))
