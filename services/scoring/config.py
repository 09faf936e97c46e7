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
from typing import Any

from services.scoring.periods import DEFAULT_DEADLINE_DAYS
from shared.config import env_float, env_int
from shared.gunicorn_settings import service_url


@dataclass(frozen=True)
class ScoringSettings:
    """Everything the scoring service reads from the environment (names in the README)."""

    survey_url: str
    inspection_url: str
    source_timeout_s: float
    source_retries: int
    deadline_days: int

    @classmethod
    def from_env(cls) -> ScoringSettings:
        return cls(
            survey_url=service_url("survey"),
            inspection_url=service_url("inspection"),
            source_timeout_s=env_float("SCORING_SOURCE_TIMEOUT", 10.0),
            source_retries=env_int("SCORING_SOURCE_RETRIES", 2, minimum=0),
            deadline_days=env_int("SCORING_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS, minimum=0),
        )

    def flask_config(self) -> dict[str, Any]:
        """The settings as ``app.config`` keys (a test overrides them by the same names)."""
        return {
            "SURVEY_URL": self.survey_url,
            "INSPECTION_URL": self.inspection_url,
            "SCORING_SOURCE_TIMEOUT": self.source_timeout_s,
            "SCORING_SOURCE_RETRIES": self.source_retries,
            "SCORING_DEADLINE_DAYS": self.deadline_days,
        }
