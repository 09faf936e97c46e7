"""Settings of the inspection service, read from the environment with defaults.

``configure(app)`` puts them in ``app.config`` unless a test already set them.
"""

from __future__ import annotations

from shared.config import env_float, env_int, env_str, var_dir
from shared.gunicorn_settings import service_url

MIB = 1024 * 1024


def evidence_dir() -> str:
    """Where evidence files are kept (filesystem backend): ``INSPECTION_EVIDENCE_DIR``,
    default ``evidence`` under ``KAOPING_VAR_DIR``."""
    return env_str("INSPECTION_EVIDENCE_DIR", str(var_dir() / "evidence"))


def configure(app) -> None:
    defaults = {
        "INSPECTION_EVIDENCE_DIR": evidence_dir(),
        "INSPECTION_EVIDENCE_MAX_BYTES": env_int("INSPECTION_EVIDENCE_MAX_BYTES", 25 * MIB,
                                                 minimum=1),
        # A check-in farther than this from the unit's registered location is flagged.
        "INSPECTION_CHECKIN_MAX_DISTANCE_M": env_float("INSPECTION_CHECKIN_MAX_DISTANCE_M", 500.0),
        # A GPS fix less precise than this is flagged.
        "INSPECTION_CHECKIN_MAX_ACCURACY_M": env_float("INSPECTION_CHECKIN_MAX_ACCURACY_M", 100.0),
        "SCORING_URL": service_url("scoring"),
        "INSPECTION_SCORING_TIMEOUT_S": env_float("INSPECTION_SCORING_TIMEOUT_S", 5.0),
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
