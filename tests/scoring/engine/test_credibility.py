"""The self-check credibility rule."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.engine import EngineError
from services.scoring.engine.credibility import CredibilityRule


def test_credibility_rule():
    rule = CredibilityRule(slope=2.0, threshold=0.1, floor=0.2)
    np.testing.assert_allclose(
        rule.multiplier([0.0, 0.1, 0.3, 0.9, np.nan]), [1.0, 1.0, 0.6, 0.2, 1.0]
    )
    with pytest.raises(EngineError):
        CredibilityRule.from_options({"mode": "shout"})
