"""The scoring service's registry, over HTTP: unit locations and self-checks.

Both are read with a service token as docs/CONTRACTS.md describes. Field work must
not stop because the registry is down, so callers get None and record that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from services.inspection.config import InspectionSettings
from shared.client import ServiceClient, ServiceError, peer_client
from shared.errors import DependencyDown

log = logging.getLogger("kaoping.inspection.scoring_registry")


@dataclass(frozen=True)
class ScoringRegistry:
    """Where the scoring service is (``url``), the JWT secret that signs inspection's
    service token (``key``) and the timeout of a call in seconds (one retry)."""

    url: str
    key: str
    timeout_s: float

    @classmethod
    def of(cls, settings: InspectionSettings) -> ScoringRegistry:
        return cls(settings.scoring_url, settings.jwt_secret, settings.scoring_timeout_s)

    def _client(self) -> ServiceClient:
        return peer_client("inspection", "scoring", url=self.url, key=self.key,
                           timeout=self.timeout_s, retries=1, backoff=0.1)

    def unit_location(self, code: str) -> tuple[float, float] | None:
        """(lat, lon) of the unit from ``GET /api/v1/units/{code}``, or None when the
        registry cannot be reached or does not give both coordinates as numbers in range."""
        try:
            unit = self._client().get_json(f"/api/v1/units/{code}")
        except (DependencyDown, ServiceError, ValueError) as exc:
            log.warning("no location for unit %s: %s", code, exc)
            return None
        try:
            lat, lon = float(unit["lat"]), float(unit["lon"])
        except (KeyError, TypeError, ValueError):
            return None  # no location registered, or half of one
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            log.warning("unit %s has an impossible location (%s, %s)", code, lat, lon)
            return None
        return lat, lon

    def self_reported_values(self, code: str, period: str) -> dict[str, Any] | None:
        """{indicator: actual} of the unit's current self-check for ``period``
        (``YYYY-MM``), or None when the registry cannot be reached."""
        try:
            rows = self._client().get_json("/api/v1/self-checks",
                                           params={"unit": code, "period": period})
        except (DependencyDown, ServiceError, ValueError) as exc:
            log.warning("no self-check for unit %s %s: %s", code, period, exc)
            return None
        return {row["indicator"]: row["actual"] for row in rows if row.get("actual") is not None}
