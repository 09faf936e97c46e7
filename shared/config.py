"""Settings from environment variables, parsed by small helpers that name the variable.

Every variable a service reads goes through these helpers, so that a missing or
malformed value stops start-up with a message naming it (``ConfigError``).
``CommonSettings`` holds what every process reads alike (database, token key, logs,
metrics, body limit, proxy); a web app reads it once when it is created
(``shared.app``), a worker or command when it starts, and passes the values down.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent


# Local time of the county: deadlines, calling windows and periods are in it.
COUNTY_TZ = ZoneInfo("Asia/Shanghai")


def county_today(now: datetime | None = None) -> date:
    """The county's calendar day at the instant ``now`` (aware; default: the present).
    Not ``date.today()``, the server's own day: from 16:00 to 24:00 UTC the county is
    already on the next day."""
    return (now or datetime.now(UTC)).astimezone(COUNTY_TZ).date()


class ConfigError(RuntimeError):
    """A required environment variable is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable's value; raise ConfigError when it is unset and has no default."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"{name} is required but not set")
        return default
    return value


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Parse an integer variable; raise ConfigError naming it when malformed or too small."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def env_float(name: str, default: float) -> float:
    """Parse a float variable; raise ConfigError naming it when malformed."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean variable (1/0, true/false, yes/no, on/off)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")


def var_dir() -> Path:
    """The directory for the embedded default's files (``KAOPING_VAR_DIR``, default ``var/``)."""
    path = Path(env_str("KAOPING_VAR_DIR", str(ROOT / "var")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_production() -> bool:
    """True when ``KAOPING_ENV=production``: no generated secrets, no defaults for them."""
    env = env_str("KAOPING_ENV", "development")
    if env not in {"development", "production", "test"}:
        raise ConfigError(f"KAOPING_ENV must be development, test or production, got {env!r}")
    return env == "production"


def secret(name: str) -> str:
    """Return a secret from the environment.

    Outside production a missing secret is generated once and kept in
    ``var/secrets/<name>`` (mode 0600), so that the embedded default runs with no
    setup and all local processes agree on it. In production it must be set.
    """
    value = os.environ.get(name)
    if value:
        return value
    if is_production():
        raise ConfigError(f"{name} is required in production but not set")
    folder = var_dir() / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def dev_fernet_key(name: str) -> None:
    """Outside production, create ``var/secrets/<name>`` holding a Fernet key unless it
    exists or the variable is set (then :func:`secret` reads it like any other)."""
    if os.environ.get(name) or is_production():
        return
    from cryptography.fernet import Fernet

    folder = var_dir() / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode())


def database_url(service: str) -> str:
    """``<SERVICE>_DATABASE_URL``, default a SQLite file under ``var/``.

    A plain ``postgresql://`` URL is mapped to the psycopg 3 driver.
    """
    name = f"{service.upper()}_DATABASE_URL"
    url = os.environ.get(name) or f"sqlite:///{var_dir() / (service + '.sqlite3')}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not (url.startswith("sqlite") or url.startswith("postgresql+psycopg")):
        raise ConfigError(f"{name} must be a sqlite:// or postgresql:// URL, got {url!r}")
    return url


def jwt_secret() -> str:
    """``KAOPING_JWT_SECRET``, the key that signs and checks every bearer token (see
    ``secret``: generated once outside production)."""
    return secret("KAOPING_JWT_SECRET")


@dataclass(frozen=True)
class DatabaseSettings:
    """A service's database and its connection pool (PostgreSQL only).

    ``<SERVICE>_DATABASE_URL``; ``KAOPING_DB_POOL_SIZE`` (default 5) and
    ``KAOPING_DB_MAX_OVERFLOW`` (10) connections per process; a pooled connection idle for
    ``KAOPING_DB_PING_AFTER_SECONDS`` (10 s) is pinged before use.
    """

    url: str
    pool_size: int = 5
    max_overflow: int = 10
    ping_after_s: float = 10.0

    @classmethod
    def from_env(cls, service: str) -> DatabaseSettings:
        return cls(url=database_url(service),
                   pool_size=env_int("KAOPING_DB_POOL_SIZE", 5, minimum=1),
                   max_overflow=env_int("KAOPING_DB_MAX_OVERFLOW", 10, minimum=0),
                   ping_after_s=env_float("KAOPING_DB_PING_AFTER_SECONDS", 10.0))


@dataclass(frozen=True)
class CommonSettings:
    """What every Kaoping process of ``service`` reads the same way (names in the README).

    ``jwt_secret``: ``KAOPING_JWT_SECRET``; ``log_level``: ``KAOPING_LOG_LEVEL`` (INFO);
    ``max_body_bytes``: ``KAOPING_MAX_BODY_BYTES`` (10 MiB, at least 1 KiB; the portal has
    its own); ``behind_proxy``: ``KAOPING_BEHIND_PROXY`` (trust one proxy hop);
    ``metrics_token``: ``KAOPING_METRICS_TOKEN`` (none: loopback scrapers only);
    ``metrics_multiproc_dir``: ``PROMETHEUS_MULTIPROC_DIR``, set by the gunicorn
    configuration for its workers (none outside gunicorn).
    """

    database: DatabaseSettings
    jwt_secret: str
    log_level: str = "INFO"
    max_body_bytes: int = 10 * 1024 * 1024
    behind_proxy: bool = False
    metrics_token: str = ""
    metrics_multiproc_dir: str | None = None

    @classmethod
    def from_env(cls, service: str) -> CommonSettings:
        return cls(database=DatabaseSettings.from_env(service),
                   jwt_secret=jwt_secret(),
                   log_level=env_str("KAOPING_LOG_LEVEL", "INFO").upper(),
                   max_body_bytes=env_int("KAOPING_MAX_BODY_BYTES", 10 * 1024 * 1024,
                                          minimum=1024),
                   behind_proxy=env_bool("KAOPING_BEHIND_PROXY", False),
                   metrics_token=env_str("KAOPING_METRICS_TOKEN", ""),
                   metrics_multiproc_dir=env_str("PROMETHEUS_MULTIPROC_DIR", "") or None)

    def flask_config(self) -> dict[str, Any]:
        """The settings a request reads, as ``app.config`` keys."""
        return {"DATABASE_URL": self.database.url, "JWT_SECRET": self.jwt_secret,
                "METRICS_TOKEN": self.metrics_token}
