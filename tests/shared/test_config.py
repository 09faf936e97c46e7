"""Environment parsing names the variable that is missing or malformed."""

from datetime import UTC, date, datetime

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


def test_common_settings_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("KAOPING_VAR_DIR", str(tmp_path))
    for name in ("SCORING_DATABASE_URL", "KAOPING_DB_POOL_SIZE", "KAOPING_DB_MAX_OVERFLOW",
                 "KAOPING_DB_PING_AFTER_SECONDS", "KAOPING_LOG_LEVEL", "KAOPING_MAX_BODY_BYTES",
                 "KAOPING_BEHIND_PROXY", "KAOPING_METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)
    common = config.CommonSettings.from_env("scoring")
    assert common.database == config.DatabaseSettings(
        f"sqlite:///{tmp_path / 'scoring.sqlite3'}", 5, 10, 10.0)
    assert (common.log_level, common.max_body_bytes, common.behind_proxy, common.metrics_token,
            common.metrics_multiproc_dir) == ("INFO", 10 * 1024 * 1024, False, "", None)
    assert common.jwt_secret == config.jwt_secret() and len(common.jwt_secret) >= 48


def test_common_settings_are_read_under_their_names(monkeypatch):
    for name, value in (("SURVEY_DATABASE_URL", "postgresql://k@db/survey"),
                        ("KAOPING_DB_POOL_SIZE", "20"), ("KAOPING_DB_MAX_OVERFLOW", "0"),
                        ("KAOPING_DB_PING_AFTER_SECONDS", "2.5"), ("KAOPING_LOG_LEVEL", "warning"),
                        ("KAOPING_MAX_BODY_BYTES", "2048"), ("KAOPING_BEHIND_PROXY", "yes"),
                        ("KAOPING_METRICS_TOKEN", "scrape"), ("KAOPING_JWT_SECRET", "j" * 40),
                        ("PROMETHEUS_MULTIPROC_DIR", "/tmp/metrics")):
        monkeypatch.setenv(name, value)
    common = config.CommonSettings.from_env("survey")
    assert common == config.CommonSettings(
        config.DatabaseSettings("postgresql+psycopg://k@db/survey", 20, 0, 2.5),
        jwt_secret="j" * 40, log_level="WARNING", max_body_bytes=2048, behind_proxy=True,
        metrics_token="scrape", metrics_multiproc_dir="/tmp/metrics")
    assert common.flask_config() == {"DATABASE_URL": "postgresql+psycopg://k@db/survey",
                                     "JWT_SECRET": "j" * 40, "METRICS_TOKEN": "scrape"}


@pytest.mark.parametrize("name, value", [("KAOPING_DB_POOL_SIZE", "0"),
                                         ("KAOPING_MAX_BODY_BYTES", "100"),
                                         ("KAOPING_BEHIND_PROXY", "perhaps")])
def test_a_bad_common_setting_stops_start_up_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        config.CommonSettings.from_env("survey")


def test_an_app_reads_the_common_settings_when_it_is_created(monkeypatch, tmp_path):
    """Changing the environment afterwards changes nothing: the app has its values."""
    from sqlalchemy import create_engine

    from services.scoring.app import create_app

    monkeypatch.setenv("KAOPING_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("KAOPING_METRICS_TOKEN", "first")
    app = create_app({"TESTING": True, "ENGINE": create_engine("sqlite://")})
    monkeypatch.setenv("KAOPING_MAX_BODY_BYTES", "8192")
    monkeypatch.setenv("KAOPING_METRICS_TOKEN", "second")
    assert (app.config["MAX_CONTENT_LENGTH"], app.config["METRICS_TOKEN"]) == (4096, "first")
    assert app.config["JWT_SECRET"] == config.jwt_secret()


def test_county_today_turns_at_the_countys_midnight():
    # 16:00 UTC is midnight in the county (UTC+8): the server's day is still the 7th.
    assert config.county_today(datetime(2026, 12, 7, 15, 59, 59, tzinfo=UTC)) == date(2026, 12, 7)
    assert config.county_today(datetime(2026, 12, 7, 16, 0, tzinfo=UTC)) == date(2026, 12, 8)
    assert config.county_today(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == date(2027, 1, 1)
    start = datetime.now(UTC)
    today = config.county_today()  # the present, by default
    assert today in {config.county_today(start), config.county_today(datetime.now(UTC))}
