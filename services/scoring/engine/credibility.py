"""Self-check credibility: inspection discrepancies discount self-reported data.

A unit's discrepancy rate r (share of inspected self-reported items whose inspected
value differs beyond tolerance, 0..1) gives the credibility multiplier

    c = clip(1 − slope · max(r − threshold, 0), floor, 1)

(defaults slope 1, threshold 0, floor 0: a unit with 20 % discrepancies keeps 80 %).
Mode ``weight`` (default) multiplies the weight of each of the unit's ``self_check``
indicators by c and lets its siblings take up the rest (weights are renormalised per
unit). Mode ``value`` pulls each normalised self-check score toward the lowest score of
its peer group: s' = c·s + (1 − c)·min_group(s). A unit without a rate keeps c = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scoring.engine.errors import EngineError

MODES = ("weight", "value")


@dataclass(frozen=True)
class CredibilityRule:
    mode: str = "weight"
    slope: float = 1.0
    threshold: float = 0.0
    floor: float = 0.0

    @classmethod
    def from_options(cls, options: dict | None) -> CredibilityRule | None:
        if not options:
            return None
        rule = cls(
            **{k: options[k] for k in ("mode", "slope", "threshold", "floor") if k in options}
        )
        if rule.mode not in MODES or rule.slope < 0 or not 0 <= rule.floor <= 1:
            raise EngineError(
                "bad credibility rule",
                {"credibility": [f"mode one of {MODES}, slope ≥ 0, 0 ≤ floor ≤ 1"]},
            )
        return rule

    def multiplier(self, rate: np.ndarray) -> np.ndarray:
        rate = np.asarray(rate, dtype=float)
        c = 1.0 - self.slope * np.maximum(rate - self.threshold, 0.0)
        return np.where(np.isnan(rate), 1.0, np.clip(c, self.floor, 1.0))
