"""Environment parsing names the variable that is missing or malformed."""

import pytest

from shared import config
from shared.config import ConfigError


def test_missing_required_variable_is_named(monkeypatch):
    monkeypatch.delenv("KAOPING_SOMETHING", raising=False)
    with pytest.raises(ConfigError, match="KAOPING_SOMETHING is required"):
        config.env_str("KAOPING_SOMETHING")


@pytest.mark.parametrize("func, raw, message", [
    (lambda: config.env_int("KAOPING_X", 1), "ten", "KAOPING_X must be an integer"),
    (lambda: config.env_int("KAOPING_X", 1, minimum=5), "2", "KAOPING_X must be >= 5"),
    (lambda: config.env_float("KAOPING_X", 1.0), "1,5", "KAOPING_X must be a number"),
    (lambda: config.env_bool("KAOPING_X", True), "maybe", "KAOPING_X must be a boolean"),
])
def test_malformed_values_are_named(monkeypatch, func, raw, message):
    monkeypatch.setenv("KAOPING_X", raw)
    with pytest.raises(ConfigError, match=message):
        func()


def test_database_url_default_and_postgres_mapping(monkeypatch, tmp_path):
    monkeypatch.setenv("KAOPING_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SURVEY_DATABASE_URL", raising=False)
    assert config.database_url("survey") == f"sqlite:///{tmp_path / 'survey.sqlite3'}"
    monkeypatch.setenv("SURVEY_DATABASE_URL", "postgresql://u@h/db")
    assert config.database_url("survey") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("SURVEY_DATABASE_URL", "mysql://u@h/db")
    with pytest.raises(ConfigError, match="SURVEY_DATABASE_URL"):
        config.database_url("survey")


def test_secret_generated_once_outside_production_required_in_production(monkeypatch,
                                                                         tmp_path):
    monkeypatch.setenv("KAOPING_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("KAOPING_TEST_SECRET", raising=False)
    monkeypatch.setenv("KAOPING_ENV", "development")
    first = config.secret("KAOPING_TEST_SECRET")
    assert first == config.secret("KAOPING_TEST_SECRET") and len(first) >= 48
    assert (tmp_path / "secrets" / "KAOPING_TEST_SECRET").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("KAOPING_ENV", "production")
    with pytest.raises(ConfigError, match="KAOPING_TEST_SECRET is required in production"):
        config.secret("KAOPING_TEST_SECRET")


def test_services_bind_to_loopback_unless_configured(monkeypatch):
    from shared.gunicorn_settings import settings_for

    monkeypatch.delenv("KAOPING_HOST", raising=False)
    assert settings_for("survey")["bind"] == "127.0.0.1:5001"
    assert settings_for("inspection")["bind"] == "127.0.0.1:5003"
    monkeypatch.setenv("KAOPING_HOST", "0.0.0.0")
    monkeypatch.setenv("SCORING_PORT", "8080")
    assert settings_for("scoring")["bind"] == "0.0.0.0:8080"
