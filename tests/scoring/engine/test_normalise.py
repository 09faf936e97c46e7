"""Every normalisation against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import normalise
from services.scoring.engine.errors import EngineError

X = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])  # mean 5, sample SD sqrt(32/7)


def test_z_uses_sample_sd():
    sd = math.sqrt(32 / 7)
    expected = [(v - 5) / sd for v in X]
    np.testing.assert_allclose(normalise.normalise(X, "z"), expected)


def test_t_is_50_plus_10z():
    sd = math.sqrt(32 / 7)
    np.testing.assert_allclose(normalise.normalise(X, "t"), [50 + 10 * (v - 5) / sd for v in X])


def test_robust_z_median_and_mad():
    x = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    # median 3; |x − 3| = 2, 1, 0, 1, 97 → MAD 1; scale 1.4826
    np.testing.assert_allclose(normalise.normalise(x, "robust_z"), [(v - 3) / 1.4826 for v in x])
    assert normalise.ROBUST_Z_SCALE == 1.4826


def test_min_max_0_to_100():
    np.testing.assert_allclose(normalise.normalise(X, "min_max"), [(v - 2) / 7 * 100 for v in X])


def test_goalposts_cap_both_ends():
    x = np.array([-5.0, 0.0, 25.0, 80.0, 120.0])
    np.testing.assert_allclose(normalise.goalposts(x, 0.0, 80.0), [0.0, 0.0, 31.25, 100.0, 100.0])
    with pytest.raises(EngineError):
        normalise.goalposts(x, 5.0, 5.0)


def test_percentile_hazen_with_mid_ranks():
    x = np.array([10.0, 20.0, 20.0, 30.0])
    # ranks 1, 2.5, 2.5, 4 → 100 (r − ½) / 4
    np.testing.assert_allclose(normalise.normalise(x, "percentile"), [12.5, 50.0, 50.0, 87.5])


def test_missing_values_are_skipped_and_stay_missing():
    x = np.array([1.0, np.nan, 3.0])
    out = normalise.normalise(x, "z")
    assert math.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [-1 / math.sqrt(2), 1 / math.sqrt(2)])
    pct = normalise.normalise(x, "percentile")
    np.testing.assert_allclose(pct[[0, 2]], [25.0, 75.0])
    assert math.isnan(pct[1])
    mm = normalise.normalise(x, "min_max")
    np.testing.assert_allclose(mm[[0, 2]], [0.0, 100.0])


@pytest.mark.parametrize(
    ("method", "centre"), [("z", 0.0), ("t", 50.0), ("robust_z", 0.0), ("min_max", 50.0)]
)
def test_no_spread_gives_the_centre(method, centre):
    np.testing.assert_allclose(normalise.normalise(np.array([3.0, 3.0, 3.0]), method), centre)
    np.testing.assert_allclose(normalise.normalise(np.array([3.0]), method), centre)


def test_vectorised_over_leading_axes():
    x = np.stack([X, X * 2 + 1])
    out = normalise.normalise(x, "z")
    np.testing.assert_allclose(out[0], out[1])


def test_winsorise_clips_to_type7_quantiles():
    x = np.arange(1.0, 11.0)  # 1..10: q(0.1) = 1.9, q(0.9) = 9.1
    out = normalise.winsorise(x, 0.1, 0.9)
    assert out[0] == pytest.approx(1.9)
    assert out[-1] == pytest.approx(9.1)
    np.testing.assert_allclose(out[1:-1], x[1:-1])
    with pytest.raises(EngineError):
        normalise.winsorise(x, 0.6, 0.4)


def test_unknown_method_raises():
    with pytest.raises(EngineError):
        normalise.normalise(X, "softmax")
