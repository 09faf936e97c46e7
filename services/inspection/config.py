"""Settings of the inspection service, read from the environment once, at start.

``InspectionSettings.from_env()`` parses every variable (a malformed one stops start-up
with ``ConfigError`` naming it); ``flask_config()`` is what goes into ``app.config``,
where a test may override it; ``from_flask(app.config)`` reads the values back for the
views, which pass them down. Code below the views never reads the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.config import database_url, env_float, env_int, env_str, secret, var_dir
from shared.gunicorn_settings import service_url

MIB = 1024 * 1024
# Setting → its ``app.config`` key (the database URL goes in as ``DATABASE_URL``, by
# ``shared.app``).
FLASK_KEYS = {
    "evidence_dir": "INSPECTION_EVIDENCE_DIR",
    "evidence_max_bytes": "INSPECTION_EVIDENCE_MAX_BYTES",
    "checkin_max_distance_m": "INSPECTION_CHECKIN_MAX_DISTANCE_M",
    "checkin_max_accuracy_m": "INSPECTION_CHECKIN_MAX_ACCURACY_M",
    "scoring_url": "SCORING_URL",
    "scoring_timeout_s": "INSPECTION_SCORING_TIMEOUT_S",
    "jwt_secret": "JWT_SECRET",
}


@dataclass(frozen=True)
class InspectionSettings:
    """Everything the inspection service reads from the environment (names in
    docs/inspection.md)."""

    database_url: str
    # Filesystem evidence store: INSPECTION_EVIDENCE_DIR, default var/evidence.
    evidence_dir: str
    # Largest evidence file (bytes); the gateway's client_max_body_size by default.
    evidence_max_bytes: int
    # A check-in farther than this from the unit's registered location is flagged.
    checkin_max_distance_m: float
    # A GPS fix less precise than this is flagged.
    checkin_max_accuracy_m: float
    # The scoring service (unit locations, self-checks) and the timeout of its calls.
    scoring_url: str
    scoring_timeout_s: float
    jwt_secret: str

    @classmethod
    def from_env(cls) -> InspectionSettings:
        return cls(
            database_url=database_url("inspection"),
            evidence_dir=env_str("INSPECTION_EVIDENCE_DIR", str(var_dir() / "evidence")),
            evidence_max_bytes=env_int("INSPECTION_EVIDENCE_MAX_BYTES", 25 * MIB, minimum=1),
            checkin_max_distance_m=env_float("INSPECTION_CHECKIN_MAX_DISTANCE_M", 500.0),
            checkin_max_accuracy_m=env_float("INSPECTION_CHECKIN_MAX_ACCURACY_M", 100.0),
            scoring_url=service_url("scoring"),
            scoring_timeout_s=env_float("INSPECTION_SCORING_TIMEOUT_S", 5.0),
            jwt_secret=secret("KAOPING_JWT_SECRET"),
        )

    def flask_config(self) -> dict[str, Any]:
        """The settings as ``app.config`` keys (the variables' names)."""
        return {key: getattr(self, name) for name, key in FLASK_KEYS.items()}

    @classmethod
    def from_flask(cls, config: Mapping[str, Any]) -> InspectionSettings:
        """The settings as a running app holds them (``flask_config`` plus a test's
        overrides)."""
        return cls(database_url=config["DATABASE_URL"],
                   **{name: config[key] for name, key in FLASK_KEYS.items()})


def app_settings() -> InspectionSettings:
    """The settings of the app handling the current request."""
    from flask import current_app

    return InspectionSettings.from_flask(current_app.config)
