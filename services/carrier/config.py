"""Settings of the simulated carrier, read from the environment once, when it starts.

``CarrierSettings.from_env()`` parses every variable (a malformed one stops start-up
with ``ConfigError`` naming it); ``flask_config()`` is what goes into ``app.config``,
where a test's ``test_config`` may override it. Names and defaults: docs/telephony.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.config import ConfigError, env_float, env_int, env_str, secret
from shared.gunicorn_settings import service_host, service_port

# Kaoping's account on the carrier ("kaoping" in hex), the survey service's default too.
DEFAULT_ACCOUNT_SID = "AC" + "6b616f70696e67" + "0" * 18


def carrier_port() -> int:
    """``CARRIER_PORT``, default ``SURVEY_PORT`` + 8 (5009), so that a suite started on
    other ports brings its own carrier along."""
    return env_int("CARRIER_PORT", service_port("survey") + 8, minimum=1)


def carrier_url() -> str:
    """Where the survey's processes reach the carrier (``KAOPING_HOST``:``CARRIER_PORT``)."""
    host = service_host()
    host = "127.0.0.1" if host == "0.0.0.0" else host
    return f"http://{host}:{carrier_port()}"


def _profile() -> dict:
    """The synthetic population in the JSON file ``CARRIER_PROFILE`` ({} when unset)."""
    path = os.environ.get("CARRIER_PROFILE")
    if not path:
        return {}
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"CARRIER_PROFILE must name a JSON file: {exc}") from None


@dataclass(frozen=True)
class CarrierSettings:
    """Kaoping's account (``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``: outside production
    a missing token is generated once, so that the carrier and the survey service agree
    on it with no setup), the population, the limits and the pace of simulated time."""

    account_sid: str
    auth_token: str
    profile: dict
    cps: float
    max_active: int
    time_scale: float
    public_url: str | None

    @classmethod
    def from_env(cls) -> CarrierSettings:
        return cls(account_sid=env_str("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID),
                   auth_token=secret("TWILIO_AUTH_TOKEN"), profile=_profile(),
                   cps=env_float("CARRIER_CPS", 50.0),
                   max_active=env_int("CARRIER_MAX_ACTIVE", 100, minimum=1),
                   time_scale=env_float("CARRIER_TIME_SCALE", 0.02),
                   public_url=os.environ.get("CARRIER_PUBLIC_URL") or None)

    def flask_config(self) -> dict[str, Any]:
        return {"ACCOUNTS": {self.account_sid: self.auth_token}, "PROFILE": self.profile,
                "CPS": self.cps, "MAX_ACTIVE": self.max_active, "TIME_SCALE": self.time_scale,
                "PUBLIC_URL": self.public_url}
