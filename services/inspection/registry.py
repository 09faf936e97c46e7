"""What inspection reads from the scoring registry: unit locations and self-checks.

Both are read with a service token as docs/CONTRACTS.md describes. Field work must
not stop because the registry is down, so callers get None and record that.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from shared.client import ServiceClient, ServiceError, peer_client
from shared.errors import DependencyDown

log = logging.getLogger("kaoping.inspection.registry")


def _client() -> ServiceClient:
    config = current_app.config
    return peer_client("inspection", "scoring", url=config["SCORING_URL"],
                       key=config["JWT_SECRET"], timeout=config["INSPECTION_SCORING_TIMEOUT_S"],
                       retries=1, backoff=0.1)


def unit_location(code: str) -> tuple[float, float] | None:
    """(lat, lon) of the unit from ``GET /api/v1/units/{code}``, or None when the registry
    cannot be reached or does not give both coordinates as numbers in range."""
    try:
        unit = _client().get_json(f"/api/v1/units/{code}")
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


def self_reported_values(code: str, period: str) -> dict[str, Any] | None:
    """{indicator: actual} of the unit's current self-check for ``period``, or None."""
    try:
        rows = _client().get_json("/api/v1/self-checks", params={"unit": code, "period": period})
    except (DependencyDown, ServiceError, ValueError) as exc:
        log.warning("no self-check for unit %s %s: %s", code, period, exc)
        return None
    return {row["indicator"]: row["actual"] for row in rows if row.get("actual") is not None}
