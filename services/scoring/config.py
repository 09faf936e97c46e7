"""Settings of the scoring service, read from the environment once, when the app starts.

``ScoringSettings.from_env()`` parses every variable (a malformed one stops start-up with
``ConfigError`` naming it); ``flask_config()`` is what goes into ``app.config``, where
the views read the values they pass down: the sources of a run (``SURVEY_URL``,
``INSPECTION_URL``, ``SCORING_SOURCE_TIMEOUT``, ``SCORING_SOURCE_RETRIES``) and the
self-check deadline of a new period (``SCORING_DEADLINE_DAYS``). Code below the views
never reads the environment. The database URL is ``create_service_app``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.carrier.config import DEFAULT_ACCOUNT_SID, carrier_url
from services.scoring.periods import DEFAULT_DEADLINE_DAYS
from shared.config import (
    ConfigError,
    DatabaseSettings,
    dev_fernet_key,
    env_float,
    env_int,
    env_str,
    secret,
)
from shared.gunicorn_settings import service_url

TWILIO_API = "https://api.twilio.com"


@dataclass(frozen=True)
class ScoringSettings:
    """Everything the scoring service reads from the environment (names in the README)."""

    survey_url: str
    inspection_url: str
    source_timeout_s: float
    source_retries: int
    deadline_days: int
    sms: SmsSettings

    @classmethod
    def from_env(cls) -> ScoringSettings:
        return cls(
            survey_url=service_url("survey"),
            inspection_url=service_url("inspection"),
            source_timeout_s=env_float("SCORING_SOURCE_TIMEOUT", 10.0),
            source_retries=env_int("SCORING_SOURCE_RETRIES", 2, minimum=0),
            deadline_days=env_int("SCORING_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS, minimum=0),
            sms=SmsSettings.from_env(),
        )

    def phone_vault(self):
        """The vault of the units' reminder numbers (``SCORING_PHONE_KEYS``)."""
        return self.sms.phone_vault()

    def flask_config(self) -> dict[str, Any]:
        """The settings as ``app.config`` keys (a test overrides them by the same names)."""
        return {
            "SURVEY_URL": self.survey_url,
            "INSPECTION_URL": self.inspection_url,
            "SCORING_SOURCE_TIMEOUT": self.source_timeout_s,
            "SCORING_SOURCE_RETRIES": self.source_retries,
            "SCORING_DEADLINE_DAYS": self.deadline_days,
            "TWILIO_AUTH_TOKEN": self.sms.auth_token,
            "PUBLIC_BASE_URL": self.sms.public_base_url,
        }


@dataclass(frozen=True)
class SmsSettings:
    """Twilio's Messaging API on the survey's account (``TWILIO_ACCOUNT_SID``,
    ``TWILIO_AUTH_TOKEN``, ``TWILIO_API_BASE_URL``), the sender ``REMINDER_FROM``, where
    Twilio reaches this service's status callbacks (``SCORING_PUBLIC_BASE_URL``), and the
    keys of the numbers at rest (``SCORING_PHONE_KEYS``, ``SCORING_PHONE_HASH_KEY``;
    outside production generated once under ``var/secrets/``)."""

    account_sid: str
    auth_token: str
    api_base_url: str
    from_number: str
    public_base_url: str
    phone_keys: str
    phone_hash_key: str

    @classmethod
    def from_env(cls) -> SmsSettings:
        dev_fernet_key("SCORING_PHONE_KEYS")
        return cls(account_sid=env_str("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID),
                   auth_token=secret("TWILIO_AUTH_TOKEN"),
                   api_base_url=env_str("TWILIO_API_BASE_URL", TWILIO_API),
                   from_number=env_str("REMINDER_FROM", "+8657100000000"),
                   public_base_url=env_str("SCORING_PUBLIC_BASE_URL", service_url("scoring")),
                   phone_keys=secret("SCORING_PHONE_KEYS"),
                   phone_hash_key=secret("SCORING_PHONE_HASH_KEY"))

    def phone_vault(self):
        from shared.phone_vault import phone_vault

        return phone_vault(self.phone_keys, self.phone_hash_key, "SCORING_PHONE_KEYS")


def _quiet_hours(text: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ConfigError(f"REMINDER_QUIET_HOURS must be HH:MM-HH:MM, got {text!r}") from None
    return start, end


@dataclass(frozen=True)
class ReminderSettings:
    """What ``kaoping reminders`` reads: the scoring database, the SMS account, the
    inspection service (orders), ``REMINDER_DAYS_BEFORE`` (3), ``REMINDER_QUIET_HOURS``
    in county time (``21:00-08:00``), ``REMINDER_TIMEZONE`` (Asia/Shanghai) and
    ``REMINDER_INTERVAL`` (seconds between the worker's rounds, 600)."""

    database: DatabaseSettings
    sms: SmsSettings
    inspection_url: str
    days_before: int
    quiet_hours: tuple[time, time]
    timezone: ZoneInfo
    interval_s: float

    @classmethod
    def from_env(cls) -> ReminderSettings:
        try:
            zone = ZoneInfo(env_str("REMINDER_TIMEZONE", "Asia/Shanghai"))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("REMINDER_TIMEZONE must name a time zone") from None
        return cls(database=DatabaseSettings.from_env("scoring"), sms=SmsSettings.from_env(),
                   inspection_url=service_url("inspection"),
                   days_before=env_int("REMINDER_DAYS_BEFORE", 3, minimum=1),
                   quiet_hours=_quiet_hours(env_str("REMINDER_QUIET_HOURS", "21:00-08:00")),
                   timezone=zone, interval_s=env_float("REMINDER_INTERVAL", 600.0))


@dataclass(frozen=True)
class ReminderProcessSettings:
    """What ``kaoping run`` needs for the reminder worker: the carrier's address unless
    ``TWILIO_API_BASE_URL`` names a real endpoint."""

    twilio_api_base_url: str | None
    carrier_url: str

    @classmethod
    def from_env(cls) -> ReminderProcessSettings:
        return cls(twilio_api_base_url=env_str("TWILIO_API_BASE_URL", "") or None,
                   carrier_url=carrier_url())
