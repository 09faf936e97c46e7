"""Twilio settings of the survey service, from the environment.

- ``TWILIO_ACCOUNT_SID`` (default the simulated carrier's account), ``TWILIO_AUTH_TOKEN``
  (generated under ``var/secrets`` outside production, shared with the carrier);
- ``TWILIO_API_BASE_URL``: where the REST client sends calls (default Twilio's
  ``https://api.twilio.com``; the embedded default points it at the carrier);
- ``PUBLIC_BASE_URL``: the survey service as Twilio reaches it (webhook URLs are built
  from it and signatures are checked against it).
"""

from __future__ import annotations

from shared.config import env_str, secret
from shared.gunicorn_settings import service_url

DEFAULT_ACCOUNT_SID = "AC" + "6b616f70696e67" + "0" * 18  # "kaoping" in hex
TWILIO_API = "https://api.twilio.com"


def twilio_config() -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": env_str("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID),
        "TWILIO_AUTH_TOKEN": secret("TWILIO_AUTH_TOKEN"),
        "TWILIO_API_BASE_URL": env_str("TWILIO_API_BASE_URL", TWILIO_API),
        "PUBLIC_BASE_URL": env_str("PUBLIC_BASE_URL", service_url("survey")),
    }


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
