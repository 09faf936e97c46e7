"""Period aggregation: weighted means over the periods present."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.engine import EngineError, periods


def test_periods_weighted_and_reweighted():
    months = np.array([[60.0, 70.0], [66.0, np.nan], [72.0, 80.0]])
    np.testing.assert_allclose(periods.quarter(months), [66.0, 75.0])
    np.testing.assert_allclose(periods.half_year([[66.0], [70.0]]), [68.0])
    np.testing.assert_allclose(periods.year_end([80.0], [60.0]), [0.7 * 80 + 0.3 * 60])
    np.testing.assert_allclose(periods.year_end([80.0], [60.0], "equal"), [70.0])
    np.testing.assert_allclose(periods.year_end([80.0], [np.nan]), [80.0])
    np.testing.assert_allclose(periods.combine([[1.0], [4.0]], [3, 1]), [1.75])
    with pytest.raises(EngineError):
        periods.quarter(months[:2])
    with pytest.raises(EngineError):
        periods.year_end([1.0], [2.0], "whatever")
