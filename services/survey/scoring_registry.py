"""The scoring service's registry, over HTTP, as survey sees it: townships and
population margins.

Contract (docs/CONTRACTS.md): ``GET {SCORING_URL}/api/v1/units?kind=township`` and
``GET {SCORING_URL}/api/v1/margins?unit=T01``, called with a ``service`` token.
When scoring is down the caller gets ``DependencyDown`` (503) naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app

from shared.client import ServiceClient, peer_client


@dataclass
class ScoringRegistry:
    client: ServiceClient

    def townships(self) -> list[dict]:
        """Township units as the registry lists them."""
        return self.client.get_json("/api/v1/units?kind=township")

    def township_codes(self) -> set[str]:
        return {unit["code"] for unit in self.townships()}

    def margins(self, unit: str) -> list[dict]:
        """``[{"unit", "variable", "category", "count"}]`` of one unit."""
        return self.client.get_json(f"/api/v1/margins?unit={quote(unit)}")


def scoring_registry() -> ScoringRegistry:
    """The registry client of the current app (``SCORING_URL``, ``SCORING_TIMEOUT``,
    ``SCORING_RETRIES`` in its config)."""
    config = current_app.config
    return ScoringRegistry(peer_client("survey", "scoring", url=config["SCORING_URL"],
                                       key=config["JWT_SECRET"],
                                       timeout=float(config["SCORING_TIMEOUT"]),
                                       retries=int(config["SCORING_RETRIES"])))
