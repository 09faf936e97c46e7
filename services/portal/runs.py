"""Score runs through the scoring API."""

from __future__ import annotations

from typing import Any

from services.portal.api_client import Apis


def publish(apis: Apis, run_id: int) -> dict[str, Any]:
    """Publish a computed run (ServiceError 409 when it is published already)."""
    return apis.scoring.post_json(f"/api/v1/runs/{run_id}/publish", {})
