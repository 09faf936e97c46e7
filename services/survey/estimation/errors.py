"""The one domain exception of the estimation package (no Flask here: callers map it)."""

from __future__ import annotations

from typing import Any


class EstimationError(ValueError):
    """Input that no estimate can honestly be computed from.

    ``margin`` names the raking margin at fault (when there is one), ``category`` the
    category, and ``errors`` maps a field name to a list of reasons so that an API can
    turn it into a 422 response unchanged.
    """

    def __init__(
        self,
        message: str,
        *,
        margin: str | None = None,
        category: Any = None,
        errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.margin = margin
        self.category = category
        self.errors = errors if errors is not None else {margin or "design": [message]}
