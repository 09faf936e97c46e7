"""A unit's monthly self-check through the scoring API: read the values, submit one."""

from __future__ import annotations

from typing import Any

from services.portal.api_client import Apis


def values(apis: Apis, unit: str, period: str) -> list[dict[str, Any]]:
    """The current values of ``unit`` in ``period`` (the API answers 403 for a unit
    person asking for another unit)."""
    return apis.scoring.get_json("/api/v1/self-checks", params={"unit": unit, "period": period})


def submit(apis: Apis, unit: str, period: str, item: dict[str, Any], key: str) -> dict[str, Any]:
    """Submit one value; ``key`` (the form's UUID) makes a repeated post change nothing.

    Raises ServiceError with the API's 422/409 field errors."""
    reason = item.pop("reason", "") or ""
    body = {"unit": unit, "period": period, "reason": reason, "items": [item]}
    return apis.scoring.post_json("/api/v1/self-checks", body, idempotency_key=key)
