"""The services' APIs, called as the signed-in person.

Each page that reads or writes through an API mints a token for the person (their
username as ``sub``, their role as the services know it, their unit) that lives at
most ``PORTAL_TOKEN_TTL_S`` seconds (≤ 300), so every role and unit check stays in the
service that owns the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.portal.models.person import Person
from shared.auth import issue_token
from shared.client import ServiceClient


@dataclass(frozen=True)
class ApiSettings:
    survey_url: str
    scoring_url: str
    inspection_url: str
    jwt_secret: str
    token_ttl_s: int
    timeout_s: float


class Apis:
    """``survey``, ``scoring`` and ``inspection`` clients carrying one person's token."""

    def __init__(self, person: Person, settings: ApiSettings):
        self.token = issue_token(person.username, person.token_role, person.unit,
                                 ttl=settings.token_ttl_s, key=settings.jwt_secret)
        options = {"timeout": settings.timeout_s, "retries": 1}
        self.survey = ServiceClient("survey", settings.survey_url, self.token, **options)
        self.scoring = ServiceClient("scoring", settings.scoring_url, self.token, **options)
        self.inspection = ServiceClient("inspection", settings.inspection_url, self.token,
                                        **options)


def settings_from(config: Mapping[str, Any]) -> ApiSettings:
    """The API settings out of ``app.config``."""
    return ApiSettings(config["SURVEY_URL"], config["SCORING_URL"], config["INSPECTION_URL"],
                       config["JWT_SECRET"], config["PORTAL_TOKEN_TTL_S"],
                       float(config["PORTAL_API_TIMEOUT_S"]))
