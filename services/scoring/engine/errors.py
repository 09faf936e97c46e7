"""The one exception the engine raises."""

from __future__ import annotations


class EngineError(ValueError):
    """Bad scheme, bad values or an impossible computation.

    ``errors`` maps a field (an indicator id, ``unit U``, ``scheme.root``...) to a list
    of reasons, so that a caller can turn it into a 422 with per-field errors.
    """

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
