"""Monte Carlo: bit-for-bit reproducible, independent of chunking and threads; sensitivity.

The scoring of one stack of draws (exact columns held at their point scores) is tested
in test_draws.py."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.engine import Table, compute, from_document
from services.scoring.engine.monte_carlo import BLOCK_DRAWS
from tests.scoring.engine.monte_carlo_support import document, noisy_table


@pytest.fixture(scope="module")
def data():
    return noisy_table()


def run(data, **kw):
    return compute(
        from_document(document()), data, **{"seed": 11, "draws": 100, "advanced_share": 0.25, **kw}
    )


def arrays(result):
    u = result.uncertainty
    return [
        u.composite_mean,
        u.composite_lo,
        u.composite_hi,
        u.rank_lo,
        u.rank_hi,
        u.p_top_k,
        u.p_advanced,
    ]


def test_same_seed_is_bit_for_bit(data):
    a, b = run(data), run(data)
    for x, y in zip(arrays(a), arrays(b), strict=True):
        assert x.tobytes() == y.tobytes()


def test_chunking_and_threads_do_not_change_results(data):
    base = run(data)
    for kw in ({"threads": 1}, {"memory_budget_mb": 0}):  # one block of draws per chunk
        other = run(data, **kw)
        for x, y in zip(arrays(base), arrays(other), strict=True):
            assert x.tobytes() == y.tobytes()


def test_other_seed_differs_and_draws_count(data):
    a, b = run(data), run(data, seed=12)
    assert a.uncertainty.composite_mean.tobytes() != b.uncertainty.composite_mean.tobytes()
    assert a.uncertainty.draws == 100 and 100 % BLOCK_DRAWS != 0  # a partial last block works


def test_intervals_and_probabilities_are_coherent(data):
    r = run(data, draws=400)
    u = r.uncertainty
    assert np.all(u.composite_lo <= r.composite + 1e-3) and np.all(
        r.composite <= u.composite_hi + 1e-3
    )
    assert np.all(u.rank_lo <= u.rank_hi)
    assert np.all((u.p_advanced >= 0) & (u.p_advanced <= 1))
    # expected number of awards per draw equals the seats
    assert u.p_advanced.sum() == pytest.approx(sum(r.seats.values()))
    np.testing.assert_array_equal(u.near_cutoff, (u.p_advanced >= 0.2) & (u.p_advanced <= 0.8))
    # P(rank ≤ k) sums to k per group (groups have more than k units)
    for g in set(r.groups):
        idx = [i for i, gg in enumerate(r.groups) if gg == g]
        assert u.p_top_k[idx].sum() == pytest.approx(u.top_k)


def test_without_standard_errors_nothing_moves(data):
    exact = Table(
        data.units, data.groups, data.indicators, data.values, np.full_like(data.se, np.nan)
    )
    r = run(exact)
    u = r.uncertainty
    np.testing.assert_allclose(u.composite_lo, r.composite, atol=1e-3)
    np.testing.assert_array_equal(u.rank_lo, r.rank)
    np.testing.assert_array_equal(u.p_advanced, r.advanced.astype(float))


def test_interval_width_tracks_standard_error(data):
    wide = Table(data.units, data.groups, data.indicators, data.values, data.se * 4)
    a, b = run(data), run(wide)
    width_a = a.uncertainty.composite_hi - a.uncertainty.composite_lo
    width_b = b.uncertainty.composite_hi - b.uncertainty.composite_lo
    assert np.median(width_b) > 2 * np.median(width_a)


def test_sensitivity_reports_rank_moves(data):
    r = run(data, draws=0, sensitivity=True)
    variants = r.sensitivity["variants"]
    assert variants["normalisation=zscore"]["max_abs_shift"] == 0  # the scheme's own method
    assert "weighting=entropy" in variants and "normalisation=percentile" in variants
    moved = max(v.get("max_abs_shift", 0) for v in variants.values())
    assert moved == max(r.sensitivity["max_abs_shift_per_unit"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standard_normals_are_standard_normal(dtype):
    from scipy import stats

    from services.scoring.engine.monte_carlo import standard_normals

    z = np.empty((8, 25_000), dtype=dtype)
    standard_normals(np.random.SeedSequence(2026), z)
    assert z.dtype == dtype
    assert abs(z.mean()) < 0.005 and abs(z.std() - 1) < 0.005
    assert stats.kstest(z.ravel().astype(float), "norm").pvalue > 0.01
    # the two halves of each Box–Muller pair are uncorrelated
    half = z.size // 2
    assert abs(np.corrcoef(z.ravel()[:half], z.ravel()[half:])[0, 1]) < 0.01
    again = np.empty_like(z)
    standard_normals(np.random.SeedSequence(2026), again)
    assert again.tobytes() == z.tobytes()


@pytest.mark.parametrize("draws", [1, 7, 100, 1000])
def test_interval_quantiles_match_numpy(draws):
    from services.scoring.engine.monte_carlo import quantiles

    rng = np.random.default_rng(draws)
    comp = rng.normal(50, 10, (draws, 37)).astype(np.float32)
    ranks = rng.integers(1, 12, (draws, 37)).astype(np.int16)
    lo, hi = quantiles(comp, 0.05, "linear", block=10)
    expected = np.quantile(comp.astype(np.float64), [0.05, 0.95], axis=0, method="linear")
    np.testing.assert_allclose(lo, expected[0], rtol=1e-6)
    np.testing.assert_allclose(hi, expected[1], rtol=1e-6)
    rlo, rhi = quantiles(ranks, 0.05, "inverted_cdf", block=10)
    expected = np.quantile(ranks, [0.05, 0.95], axis=0, method="inverted_cdf")
    np.testing.assert_array_equal(rlo, expected[0])
    np.testing.assert_array_equal(rhi, expected[1])
