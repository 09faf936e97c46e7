"""The survey's settings: read from the environment once, at start, under the variable
names of docs/survey.md and docs/telephony.md; a malformed one stops start-up naming it."""

from __future__ import annotations

import pytest

from services.survey.config import DialerSettings, StorageSettings, SurveySettings
from shared.config import ConfigError


def test_the_app_takes_its_settings_from_the_environment_when_it_starts(monkeypatch, make_app):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://survey.example.gov.cn/survey")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "2" * 32)
    monkeypatch.setenv("TWILIO_API_BASE_URL", "https://edge.example.com")
    monkeypatch.setenv("SCORING_URL", "http://scoring.example:5002")
    app = make_app("survey")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://elsewhere.example")  # after start: unread
    assert {k: app.config[k] for k in ("PUBLIC_BASE_URL", "TWILIO_ACCOUNT_SID",
                                       "TWILIO_API_BASE_URL", "SCORING_URL")} == {
        "PUBLIC_BASE_URL": "https://survey.example.gov.cn/survey",
        "TWILIO_ACCOUNT_SID": "AC" + "2" * 32, "TWILIO_API_BASE_URL": "https://edge.example.com",
        "SCORING_URL": "http://scoring.example:5002"}
    assert app.config["TWILIO_AUTH_TOKEN"]  # generated once outside production


def test_defaults_without_the_variables(monkeypatch):
    for name in ("PUBLIC_BASE_URL", "TWILIO_API_BASE_URL", "SURVEY_URL", "SCORING_URL",
                 "SURVEY_PORT", "SCORING_PORT", "KAOPING_HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = SurveySettings.from_env()
    assert settings.twilio.public_base_url == "http://127.0.0.1:5001"
    assert settings.twilio.api_base_url == "https://api.twilio.com"
    assert settings.scoring_url == "http://127.0.0.1:5002"
    assert settings.prompts_dir.endswith("prompts")
    assert settings.phone_keys.keys and settings.phone_keys.hash_key


def test_the_dialer_and_the_commands_read_theirs(monkeypatch):
    monkeypatch.setenv("DIALER_LEASE_SECONDS", "30")
    monkeypatch.setenv("DIALER_STALE_SECONDS", "600")
    monkeypatch.setenv("DIALER_METRICS_PORT", "0")
    monkeypatch.setenv("WEBHOOK_RECORD_RETENTION_DAYS", "7")
    dialer = DialerSettings.from_env()
    assert (dialer.lease_seconds, dialer.stale_seconds, dialer.metrics_port) == (30.0, 600.0, 0)
    assert dialer.storage.webhook_retention_days == 7
    assert StorageSettings.from_env().webhook_retention_days == 7


@pytest.mark.parametrize("name,value", [("DIALER_LEASE_SECONDS", "soon"),
                                        ("WEBHOOK_RECORD_RETENTION_DAYS", "0"),
                                        ("DIALER_METRICS_PORT", "-1")])
def test_a_malformed_variable_is_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        DialerSettings.from_env()
