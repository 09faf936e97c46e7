"""Rectification orders through the inspection API."""

from __future__ import annotations

from typing import Any

from services.portal.api_client import Apis


def get_order(apis: Apis, order_id: int) -> dict[str, Any]:
    """One order (the API answers 404 to a unit person for another unit's order)."""
    return apis.inspection.get_json(f"/api/v1/orders/{order_id}")
