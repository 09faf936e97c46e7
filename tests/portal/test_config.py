"""The portal's settings: read from the environment once, defaults, refusals."""

import pytest

from services.portal.config import PortalSettings
from shared.config import ConfigError


def test_defaults(monkeypatch):
    for name in ("PORTAL_DATABASE_URL", "SURVEY_URL", "PORTAL_TOKEN_TTL_S",
                 "PORTAL_IDLE_TIMEOUT_MIN", "KAOPING_BEHIND_PROXY"):
        monkeypatch.delenv(name, raising=False)
    settings = PortalSettings.from_env()
    assert settings.common.database.url.startswith("sqlite:///") and \
        settings.common.database.url.endswith("portal.sqlite3")
    assert (settings.token_ttl_s, settings.idle_timeout_min, settings.lockout_failures,
            settings.lockout_minutes) == (300, 30, 5, 15)
    assert settings.survey_url == "http://127.0.0.1:5001"
    config = settings.flask_config()
    assert (config["SESSION_COOKIE_HTTPONLY"], config["SESSION_COOKIE_SAMESITE"],
            config["SESSION_COOKIE_SECURE"]) == (True, "Lax", False)
    assert config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert (config["PORTAL_PHOTO_LONG_EDGE_PX"], config["PORTAL_PHOTO_MAX_BYTES"],
            config["PORTAL_FIELD_DAYS_AHEAD"], config["PORTAL_FIELD_MAX_ACCURACY_M"]) == (
        1600, 10 * 1024 * 1024, 7, 100)


def test_the_environment_is_read(monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql://k@db/portal")
    monkeypatch.setenv("PORTAL_IDLE_TIMEOUT_MIN", "10")
    monkeypatch.setenv("KAOPING_BEHIND_PROXY", "true")
    monkeypatch.setenv("SCORING_URL", "http://scoring:5002")
    monkeypatch.setenv("PORTAL_PHOTO_LONG_EDGE_PX", "1280")
    settings = PortalSettings.from_env()
    assert settings.photo_long_edge_px == 1280
    assert settings.common.database.url == "postgresql+psycopg://k@db/portal"
    assert settings.idle_timeout_min == 10 and settings.scoring_url == "http://scoring:5002"
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("name, value", [("PORTAL_TOKEN_TTL_S", "301"),
                                         ("PORTAL_TOKEN_TTL_S", "five"),
                                         ("PORTAL_LOCKOUT_FAILURES", "0"),
                                         ("PORTAL_PHOTO_LONG_EDGE_PX", "100"),
                                         ("KAOPING_BEHIND_PROXY", "maybe")])
def test_a_bad_value_stops_start_up_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        PortalSettings.from_env()


def test_production_needs_its_secrets(monkeypatch):
    monkeypatch.setenv("KAOPING_ENV", "production")
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("KAOPING_JWT_SECRET", "x" * 40)
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        PortalSettings.from_env()
