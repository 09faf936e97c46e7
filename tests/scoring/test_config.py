"""The scoring service's settings: read from the environment once, at app start."""

from datetime import time

import pytest

from services.scoring.config import ReminderProcessSettings, ReminderSettings, ScoringSettings
from shared.config import ConfigError

NAMES = ("SURVEY_URL", "INSPECTION_URL", "SCORING_SOURCE_TIMEOUT", "SCORING_SOURCE_RETRIES",
         "SCORING_DEADLINE_DAYS")


def test_defaults(monkeypatch):
    for name in (*NAMES, "SCORING_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    assert ScoringSettings.from_env().flask_config() == {
        "SURVEY_URL": "http://127.0.0.1:5001", "INSPECTION_URL": "http://127.0.0.1:5003",
        "SCORING_SOURCE_TIMEOUT": 10.0, "SCORING_SOURCE_RETRIES": 2,
        "SCORING_DEADLINE_DAYS": 10, "TWILIO_AUTH_TOKEN": "t",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5002"}


def test_reminder_settings(monkeypatch):
    for name in ("REMINDER_DAYS_BEFORE", "REMINDER_QUIET_HOURS", "REMINDER_TIMEZONE",
                 "TWILIO_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = ReminderSettings.from_env()
    assert (settings.days_before, settings.quiet_hours, str(settings.timezone)) == (
        3, (time(21), time(8)), "Asia/Shanghai")
    assert settings.sms.api_base_url == "https://api.twilio.com"
    vault = settings.sms.phone_vault()
    assert vault.decrypt(vault.encrypt("+8613800138000")) == "+8613800138000"
    monkeypatch.setenv("REMINDER_QUIET_HOURS", "22:30-07:00")
    assert ReminderSettings.from_env().quiet_hours == (time(22, 30), time(7))
    assert ReminderProcessSettings.from_env().twilio_api_base_url is None
    for name, value in (("REMINDER_QUIET_HOURS", "night"), ("REMINDER_TIMEZONE", "Mars/Base"),
                        ("REMINDER_DAYS_BEFORE", "0")):
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigError, match=name):
            ReminderSettings.from_env()
        monkeypatch.delenv(name)


def test_the_environment_is_read_under_the_same_names(monkeypatch):
    for name, value in zip(NAMES, ("http://survey:5001", "http://inspection:5003", "2.5", "0",
                                   "3"), strict=True):
        monkeypatch.setenv(name, value)
    settings = ScoringSettings.from_env()
    assert (settings.survey_url, settings.inspection_url, settings.source_timeout_s,
            settings.source_retries, settings.deadline_days) == (
        "http://survey:5001", "http://inspection:5003", 2.5, 0, 3)


@pytest.mark.parametrize("name, value", [("SCORING_SOURCE_TIMEOUT", "soon"),
                                         ("SCORING_SOURCE_RETRIES", "-1"),
                                         ("SCORING_DEADLINE_DAYS", "ten")])
def test_a_bad_value_stops_start_up_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        ScoringSettings.from_env()


def test_the_app_reads_the_deadline_once_at_start(make_app, auth, monkeypatch):
    monkeypatch.setenv("SCORING_DEADLINE_DAYS", "3")
    client = make_app("scoring").test_client()
    monkeypatch.setenv("SCORING_DEADLINE_DAYS", "20")  # read at start only: no effect now
    made = client.post("/api/v1/periods", json={"code": "2026-06"}, headers=auth("planner"))
    assert made.status_code == 201, made.json
    # the end of the 3rd day after June, Asia/Shanghai, as UTC
    assert made.json["deadline"] == "2026-07-03T15:59:59+00:00"
