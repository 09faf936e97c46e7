"""Moderated variances (Smyth 2004): the trigamma inverse against closed forms, the
prior's fit against an independent root-finding of the same moment equations and
against simulated data with a known prior, and the posterior's weighted mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import digamma, polygamma

from services.scoring.engine import EngineError
from services.scoring.engine.variance import fit_prior, squeeze, trigamma_inverse


@pytest.mark.parametrize(("x", "y"), [(math.pi ** 2 / 6, 1.0), (math.pi ** 2 / 2, 0.5),
                                      (math.pi ** 2 / 6 - 1, 2.0)])
def test_trigamma_inverse_against_closed_forms(x, y):
    # ψ₁(1) = π²/6, ψ₁(1/2) = π²/2, ψ₁(2) = π²/6 − 1.
    assert trigamma_inverse(x) == pytest.approx(y, rel=1e-8)


def test_trigamma_inverse_inverts_over_a_wide_range():
    for x in (1e-5, 0.01, 0.3, 1.0, 7.0, 500.0, 1e6):
        assert float(polygamma(1, trigamma_inverse(x))) == pytest.approx(x, rel=1e-6)
    with pytest.raises(EngineError):
        trigamma_inverse(0.0)


def _moments_by_root_finding(s2, df):
    """The same moment equations solved by bracketing instead of Newton's method."""
    e = np.log(s2) - digamma(df / 2) + np.log(df / 2)
    target = np.var(e, ddof=1) - np.mean(polygamma(1, df / 2))
    half = brentq(lambda y: float(polygamma(1, y)) - target, 1e-8, 1e8, xtol=1e-14)
    d0 = 2 * half
    return d0, float(np.exp(e.mean() + digamma(d0 / 2) - np.log(d0 / 2)))


def _sample(rng, m, d0, s0sq, df_range=(1, 6)):
    df = rng.integers(*df_range, m).astype(float)
    sigma2 = d0 * s0sq / rng.chisquare(d0, m)
    return sigma2 * rng.chisquare(df) / df, df


def test_the_prior_matches_an_independent_solution_of_its_equations():
    rng = np.random.default_rng(3)
    s2, df = _sample(rng, 200, 3.0, 40.0)
    d0, s0sq = fit_prior(s2, df)
    expected_d0, expected_s0sq = _moments_by_root_finding(s2, df)
    assert d0 == pytest.approx(expected_d0, rel=1e-7)
    assert s0sq == pytest.approx(expected_s0sq, rel=1e-7)


def test_the_prior_recovers_a_known_prior_from_many_units():
    rng = np.random.default_rng(11)
    s2, df = _sample(rng, 40_000, 8.0, 49.0, df_range=(3, 9))
    d0, s0sq = fit_prior(s2, df)
    assert d0 == pytest.approx(8.0, rel=0.1)
    assert s0sq == pytest.approx(49.0, rel=0.03)


def test_equal_true_variances_give_a_large_prior_df_and_the_common_variance():
    rng = np.random.default_rng(5)
    df = rng.integers(1, 6, 20_000).astype(float)
    s2 = 49.0 * rng.chisquare(df) / df
    d0, s0sq = fit_prior(s2, df)
    assert d0 > 30
    assert s0sq == pytest.approx(49.0, rel=0.03)


def test_spread_no_larger_than_sampling_gives_an_infinite_prior_df():
    # identical variances on 1 df: the log-variances vary less than χ²₁ sampling alone
    d0, s0sq = fit_prior(np.full(4, 2.0), np.ones(4))
    assert math.isinf(d0)
    assert s0sq == pytest.approx(2.0 * math.exp(-float(digamma(0.5)) - math.log(2.0)))
    squeezed = squeeze(np.array([2.0, 2.0, 2.0, 2.0, np.nan]), np.array([1, 1, 1, 1, 0.0]))
    assert np.all(squeezed.variance == s0sq)


def test_zero_variances_are_left_out_of_the_fit():
    rng = np.random.default_rng(7)
    s2, df = _sample(rng, 80, 6.0, 40.0)
    with_zero = np.append(s2, 0.0)
    assert fit_prior(with_zero, np.append(df, 1.0)) == fit_prior(s2, df)
    with pytest.raises(EngineError):
        fit_prior(np.array([0.0, 0.0, 3.0]), np.array([1.0, 1.0, 1.0]))


def test_the_posterior_is_the_df_weighted_mean_and_one_visit_gets_the_prior():
    rng = np.random.default_rng(9)
    s2, df = _sample(rng, 50, 6.0, 40.0)
    s2 = np.append(s2, np.nan)
    df = np.append(df, 0.0)
    out = squeeze(s2, df)
    d0, s0sq = fit_prior(s2[:-1], df[:-1])
    assert (out.prior_df, out.prior_variance) == (d0, s0sq)
    expected = (d0 * s0sq + df[:-1] * s2[:-1]) / (d0 + df[:-1])
    np.testing.assert_allclose(out.variance[:-1], expected, rtol=1e-12)
    assert out.variance[-1] == pytest.approx(s0sq, rel=1e-12)
    # shrinkage: every posterior lies between the unit's own variance and the prior
    low, high = np.minimum(s2[:-1], s0sq), np.maximum(s2[:-1], s0sq)
    assert np.all((out.variance[:-1] >= low - 1e-9) & (out.variance[:-1] <= high + 1e-9))


def test_the_t_scale_is_the_sd_of_student_t_on_the_posterior_df():
    from scipy.stats import t

    rng = np.random.default_rng(9)
    s2, df = _sample(rng, 50, 6.0, 40.0)
    out = squeeze(np.append(s2, np.nan), np.append(df, 0.0))
    nu = out.prior_df + np.append(df, 0.0)
    np.testing.assert_allclose(out.t_scale(), t.std(nu), rtol=1e-12)
    homogeneous = squeeze(np.full(4, 2.0), np.ones(4))
    assert np.all(homogeneous.t_scale() == 1.0)
