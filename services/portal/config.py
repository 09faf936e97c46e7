"""Settings of the portal, read from the environment once, when the app starts.

``PortalSettings.from_env()`` parses every variable (a malformed one stops start-up
with ``ConfigError`` naming it), those every Kaoping app reads alike included
(``common``: database, token key, logs, metrics, proxy); ``flask_config()`` is what goes
into ``app.config``.
Code below the views receives these values as arguments and never reads the
environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.config import COUNTY_TZ, CommonSettings, ConfigError, env_int, secret, var_dir
from shared.gunicorn_settings import service_url

# The services' tokens minted for a person live at most this long (issue 13: ≤ 5 min).
MAX_TOKEN_TTL_S = 300


@dataclass(frozen=True)
class PortalSettings:
    """Everything the portal reads from the environment (names in the README)."""

    common: CommonSettings
    survey_url: str
    scoring_url: str
    inspection_url: str
    secret_key: str
    token_ttl_s: int
    idle_timeout_min: int
    lockout_failures: int
    lockout_minutes: int
    address_failures: int
    reset_code_hours: int
    max_body_bytes: int
    api_timeout_s: int
    translations_dir: str
    photo_long_edge_px: int
    photo_max_bytes: int
    field_days_ahead: int
    field_max_accuracy_m: int

    @classmethod
    def from_env(cls) -> PortalSettings:
        ttl = env_int("PORTAL_TOKEN_TTL_S", MAX_TOKEN_TTL_S, minimum=10)
        if ttl > MAX_TOKEN_TTL_S:
            raise ConfigError(f"PORTAL_TOKEN_TTL_S must be <= {MAX_TOKEN_TTL_S}, got {ttl}")
        return cls(
            common=CommonSettings.from_env("portal"),
            survey_url=service_url("survey"),
            scoring_url=service_url("scoring"),
            inspection_url=service_url("inspection"),
            secret_key=secret("PORTAL_SECRET_KEY"),
            token_ttl_s=ttl,
            idle_timeout_min=env_int("PORTAL_IDLE_TIMEOUT_MIN", 30, minimum=1),
            lockout_failures=env_int("PORTAL_LOCKOUT_FAILURES", 5, minimum=1),
            lockout_minutes=env_int("PORTAL_LOCKOUT_MINUTES", 15, minimum=1),
            address_failures=env_int("PORTAL_ADDRESS_FAILURES", 20, minimum=1),
            reset_code_hours=env_int("PORTAL_RESET_CODE_HOURS", 24, minimum=1),
            max_body_bytes=env_int("PORTAL_MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
            api_timeout_s=env_int("PORTAL_API_TIMEOUT_S", 10, minimum=1),
            translations_dir=str(var_dir() / "portal-translations"),
            photo_long_edge_px=env_int("PORTAL_PHOTO_LONG_EDGE_PX", 1600, minimum=320),
            photo_max_bytes=env_int("PORTAL_PHOTO_MAX_BYTES", 10 * 1024 * 1024,
                                    minimum=64 * 1024),
            field_days_ahead=env_int("PORTAL_FIELD_DAYS_AHEAD", 7, minimum=0),
            field_max_accuracy_m=env_int("PORTAL_FIELD_MAX_ACCURACY_M", 100, minimum=1),
        )

    def flask_config(self) -> dict[str, Any]:
        """The settings as ``app.config`` keys (Flask's own, the extensions', ours)."""
        return {
            "SECRET_KEY": self.secret_key,
            "SURVEY_URL": self.survey_url,
            "SCORING_URL": self.scoring_url,
            "INSPECTION_URL": self.inspection_url,
            "PORTAL_TOKEN_TTL_S": self.token_ttl_s,
            "PORTAL_IDLE_TIMEOUT_MIN": self.idle_timeout_min,
            "PORTAL_LOCKOUT_FAILURES": self.lockout_failures,
            "PORTAL_LOCKOUT_MINUTES": self.lockout_minutes,
            "PORTAL_ADDRESS_FAILURES": self.address_failures,
            "PORTAL_RESET_CODE_HOURS": self.reset_code_hours,
            "PORTAL_API_TIMEOUT_S": self.api_timeout_s,
            "PORTAL_TRANSLATIONS_DIR": self.translations_dir,
            "PORTAL_PHOTO_LONG_EDGE_PX": self.photo_long_edge_px,
            "PORTAL_PHOTO_MAX_BYTES": self.photo_max_bytes,
            "PORTAL_FIELD_DAYS_AHEAD": self.field_days_ahead,
            "PORTAL_FIELD_MAX_ACCURACY_M": self.field_max_accuracy_m,
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            # The cookie that carries the CSRF secret, the language and the session id.
            "SESSION_COOKIE_NAME": "kaoping_portal",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.common.behind_proxy,
            "WTF_CSRF_TIME_LIMIT": None,  # the CSRF secret lives as long as the session
            "WTF_CSRF_SSL_STRICT": self.common.behind_proxy,
            "BABEL_DEFAULT_LOCALE": "zh_CN",
            "BABEL_DEFAULT_TIMEZONE": COUNTY_TZ.key,  # the county's clock on every page
        }
