"""Wilson interval against SciPy's binomtest and against a worked example."""

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from services.survey.estimation import wilson_interval, z_value


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (57, 120), (400, 400), (1, 1000)])
@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, level):
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    low, high = wilson_interval(k / n, n, level)
    assert float(low) == pytest.approx(ci.low, abs=1e-12)
    assert float(high) == pytest.approx(ci.high, abs=1e-12)


def test_wilson_worked_example_with_fractional_effective_n():
    # p = 0.62, n_eff = 187.4 (worked by hand: 0.548754 to 0.686425)
    p, n, z = 0.62, 187.4, 1.959963984540054
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low, high = wilson_interval(p, n)
    assert (float(low), float(high)) == pytest.approx((centre - half, centre + half))
    assert float(low) == pytest.approx(0.548754, abs=1e-6)
    assert float(high) == pytest.approx(0.686425, abs=1e-6)


def test_wilson_is_vectorised_and_nan_for_no_data():
    low, high = wilson_interval(np.array([0.5, 0.2, np.nan]), np.array([100, 0, 10]))
    assert low[0] < 0.5 < high[0]
    assert np.isnan(low[1]) and np.isnan(high[2])


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959963984540054)
    with pytest.raises(ValueError):
        z_value(1.2)
