"""Settings of the survey service, read from the environment once, when a process starts.

The web app reads ``SurveySettings.from_env()`` (``flask_config()`` goes into
``app.config``, where a test's ``test_config`` may override it); the dialer worker
reads ``DialerSettings.from_env()``; ``kaoping run`` reads ``ProcessSettings``. A
malformed variable stops start-up with ``ConfigError`` naming it. Code below the views
and the worker receives these values as arguments and never reads the environment.
Variable names and defaults are in docs/survey.md and docs/telephony.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from services.carrier.config import DEFAULT_ACCOUNT_SID, carrier_url
from shared.config import (
    database_url,
    dev_fernet_key,
    env_float,
    env_int,
    env_str,
    secret,
    var_dir,
)
from shared.gunicorn_settings import service_host, service_port, service_url

TWILIO_API = "https://api.twilio.com"
# Calls to the scoring registry: seconds before giving up, and retries of a failed call.
SCORING_TIMEOUT_S = 10.0
SCORING_RETRIES = 2


@dataclass(frozen=True)
class TwilioSettings:
    """The REST account and where the survey service is reached by Twilio's webhooks."""

    account_sid: str
    auth_token: str
    api_base_url: str
    public_base_url: str

    @classmethod
    def from_env(cls) -> TwilioSettings:
        return cls(account_sid=env_str("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID),
                   auth_token=secret("TWILIO_AUTH_TOKEN"),
                   api_base_url=env_str("TWILIO_API_BASE_URL", TWILIO_API),
                   public_base_url=env_str("PUBLIC_BASE_URL", service_url("survey")))

    def flask_config(self) -> dict[str, str]:
        """The settings under the names the REST client and the webhooks read them by."""
        return {"TWILIO_ACCOUNT_SID": self.account_sid, "TWILIO_AUTH_TOKEN": self.auth_token,
                "TWILIO_API_BASE_URL": self.api_base_url,
                "PUBLIC_BASE_URL": self.public_base_url}


@dataclass(frozen=True)
class PhoneKeys:
    """``SURVEY_PHONE_KEYS`` (comma-separated Fernet keys, the first encrypts) and
    ``SURVEY_PHONE_HASH_KEY`` (the de-duplication HMAC key); outside production each is
    generated once under ``var/secrets/``."""

    keys: str
    hash_key: str

    @classmethod
    def from_env(cls) -> PhoneKeys:
        dev_fernet_key("SURVEY_PHONE_KEYS")
        return cls(keys=secret("SURVEY_PHONE_KEYS"), hash_key=secret("SURVEY_PHONE_HASH_KEY"))


@dataclass(frozen=True)
class SurveySettings:
    """What the web app reads from the environment."""

    scoring_url: str
    twilio: TwilioSettings
    phone_keys: PhoneKeys
    prompts_dir: str

    @classmethod
    def from_env(cls) -> SurveySettings:
        return cls(scoring_url=service_url("scoring"), twilio=TwilioSettings.from_env(),
                   phone_keys=PhoneKeys.from_env(), prompts_dir=str(var_dir() / "prompts"))

    def flask_config(self) -> dict[str, Any]:
        """The settings as ``app.config`` keys (the phone keys stay out: the vault holds
        them)."""
        return {"SCORING_URL": self.scoring_url, "SCORING_TIMEOUT": SCORING_TIMEOUT_S,
                "SCORING_RETRIES": SCORING_RETRIES,
                "SURVEY_PROMPTS_DIR": self.prompts_dir, **self.twilio.flask_config()}


@dataclass(frozen=True)
class StorageSettings:
    """The survey database as a worker or a command opens it: its URL, the phone keys
    that open the numbers and contacts in it, the retention of its webhook records
    (``kaoping survey …`` commands read these alone)."""

    database_url: str
    phone_keys: PhoneKeys
    webhook_retention_days: int

    @classmethod
    def from_env(cls) -> StorageSettings:
        return cls(database_url=database_url("survey"), phone_keys=PhoneKeys.from_env(),
                   webhook_retention_days=env_int("WEBHOOK_RECORD_RETENTION_DAYS", 30,
                                                  minimum=1))


@dataclass(frozen=True)
class DialerSettings:
    """What the dialer worker (``kaoping dialer``) reads from the environment."""

    storage: StorageSettings
    twilio: TwilioSettings
    lease_seconds: float
    stale_seconds: float
    metrics_host: str
    metrics_port: int
    metrics_token: str

    @classmethod
    def from_env(cls) -> DialerSettings:
        return cls(storage=StorageSettings.from_env(), twilio=TwilioSettings.from_env(),
                   lease_seconds=env_float("DIALER_LEASE_SECONDS", 120.0),
                   stale_seconds=env_float("DIALER_STALE_SECONDS", 3600.0),
                   metrics_host=service_host(),
                   metrics_port=env_int("DIALER_METRICS_PORT", service_port("survey") + 9,
                                        minimum=0),
                   metrics_token=env_str("KAOPING_METRICS_TOKEN", ""))


@dataclass(frozen=True)
class ProcessSettings:
    """What ``kaoping run`` needs to start the survey's processes: whether a real
    endpoint is configured (``TWILIO_API_BASE_URL``), else where the carrier listens."""

    twilio_api_base_url: str | None
    carrier_url: str

    @classmethod
    def from_env(cls) -> ProcessSettings:
        return cls(twilio_api_base_url=os.environ.get("TWILIO_API_BASE_URL") or None,
                   carrier_url=carrier_url())
