"""Weights: expert, equal, AHP (Saaty's textbook matrix), entropy, CRITIC."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import weights
from services.scoring.engine.errors import EngineError

# Saaty (2008), "Decision making with the analytic hierarchy process", Int. J. Services
# Sciences 1(1), Table 2: relative consumption of drinks in the United States.
DRINKS = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_WEIGHTS = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]  # coffee … water
DRINKS_CR = 0.022


def test_ahp_saaty_drinks_weights_and_cr():
    res = weights.ahp(DRINKS)
    np.testing.assert_allclose(res.weights, DRINKS_WEIGHTS, atol=6e-4)
    assert res.cr == pytest.approx(DRINKS_CR, abs=6e-4)
    assert res.ri == 1.32 and res.ri_table == "saaty"
    # independent: power iteration and CI/RI by hand
    a = np.array(DRINKS)
    v = np.ones(7)
    for _ in range(200):
        v = a @ v
        v /= v.sum()
    lam = float(np.mean((a @ v) / v))
    np.testing.assert_allclose(res.weights, v, atol=1e-10)
    assert res.lambda_max == pytest.approx(lam, abs=1e-9)
    assert res.cr == pytest.approx((lam - 7) / 6 / 1.32, abs=1e-9)


def test_ahp_3x3_closed_form():
    """For a 3×3 reciprocal matrix λmax = 1 + t + 1/t, t = (a12·a23/a13)^(1/3), and the
    principal eigenvector is the normalised row geometric mean."""
    a12, a13, a23 = 3.0, 5.0, 2.0
    a = [[1, a12, a13], [1 / a12, 1, a23], [1 / a13, 1 / a23, 1]]
    t = (a12 * a23 / a13) ** (1 / 3)
    lam = 1 + t + 1 / t
    gm = np.array([(a12 * a13) ** (1 / 3), (a23 / a12) ** (1 / 3), (1 / (a13 * a23)) ** (1 / 3)])
    res = weights.ahp(a)
    assert res.lambda_max == pytest.approx(lam, abs=1e-12)
    np.testing.assert_allclose(res.weights, gm / gm.sum(), atol=1e-12)
    assert res.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-12)


def test_ahp_consistent_matrix_recovers_weights():
    w = np.array([0.5, 0.3, 0.15, 0.05])
    res = weights.ahp(w[:, None] / w[None, :])
    np.testing.assert_allclose(res.weights, w, atol=1e-12)
    assert res.cr == pytest.approx(0.0, abs=1e-12)


def test_ahp_alternative_ri_table():
    res = weights.ahp(DRINKS, ri_table="alonso_lamata")
    assert res.ri == 1.3417
    assert res.cr == pytest.approx(res.ci / 1.3417)


def test_ahp_rejects_inconsistent_and_malformed():
    inconsistent = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(EngineError) as err:
        weights.ahp(inconsistent)
    assert "CR" in err.value.message
    with pytest.raises(EngineError):
        weights.ahp([[1, 2], [2, 1]])  # not reciprocal
    with pytest.raises(EngineError):
        weights.ahp([[1, -2], [-0.5, 1]])
    with pytest.raises(EngineError):
        weights.ahp(DRINKS, ri_table="made_up")


def test_expert_and_equal():
    np.testing.assert_allclose(weights.expert([2, 1, 1]), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(weights.equal(4), [0.25] * 4)
    with pytest.raises(EngineError):
        weights.expert([1, -1])


def test_all_zero_expert_weights_name_the_node():
    with pytest.raises(EngineError) as caught:
        weights.expert([0, 0], "work")
    assert "node work" in caught.value.message
    assert caught.value.errors == {"node work": ["weights of the children: [0.0, 0.0]"]}


def _entropy_by_hand(x):
    m, n = x.shape
    out = []
    for j in range(n):
        col = x[:, j]
        lo, hi = min(col), max(col)
        scaled = [(v - lo) / (hi - lo) if hi > lo else 0.0 for v in col]
        total = sum(scaled)
        if total == 0:
            out.append(0.0)
            continue
        h = 0.0
        for v in scaled:
            p = v / total
            if p > 0:  # 0 · ln 0 = 0
                h -= p * math.log(p)
        out.append(1 - h / math.log(m))
    return np.array(out) / sum(out)


def test_entropy_with_zeros_in_a_column():
    x = np.array([[0.0, 3.0, 10.0], [0.0, 5.0, 20.0], [4.0, 4.0, 30.0], [6.0, 8.0, 40.0]])
    # column 0 scales to 0, 0, 2/3, 1: two zeros, kept by 0·ln0 = 0
    w = weights.entropy(x)
    np.testing.assert_allclose(w, _entropy_by_hand(x), atol=1e-12)

    # by hand: column 0 scales to (0, 0, 2/3, 1) → p = (0, 0, .4, .6); column 1 to
    # (0, .4, .2, 1) → p = (0, .25, .125, .625); column 2 to (0, 1/3, 2/3, 1)
    # → p = (0, 1/6, 1/3, 1/2)
    def d(ps):
        return 1 + sum(p * math.log(p) for p in ps if p > 0) / math.log(4)

    ds = np.array([d([0.4, 0.6]), d([0.25, 0.125, 0.625]), d([1 / 6, 1 / 3, 1 / 2])])
    np.testing.assert_allclose(w, ds / ds.sum(), atol=1e-12)
    assert w[0] > w[2]  # the concentrated column carries more information


def test_entropy_constant_column_gets_zero_weight():
    x = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    np.testing.assert_allclose(weights.entropy(x), [1.0, 0.0])


def test_critic_by_hand():
    x = np.array([[1.0, 10.0, 3.0], [2.0, 30.0, 1.0], [4.0, 20.0, 2.0], [8.0, 40.0, 5.0]])
    lo, hi = x.min(axis=0), x.max(axis=0)
    s = (x - lo) / (hi - lo)
    sd = [math.sqrt(sum((v - sum(c) / 4) ** 2 for v in c) / 3) for c in s.T]
    r = np.corrcoef(s.T)
    c = [sd[j] * sum(1 - r[j, k] for k in range(3)) for j in range(3)]
    np.testing.assert_allclose(weights.critic(x), np.array(c) / sum(c), atol=1e-12)


def test_data_driven_weights_need_two_complete_rows():
    with pytest.raises(EngineError):
        weights.entropy(np.array([[1.0, 2.0], [np.nan, 3.0]]))
    with pytest.raises(EngineError):
        weights.critic(np.array([[1.0, 2.0]]))


def test_ahp_rounded_reciprocals_are_completed_from_the_upper_triangle():
    rounded = [[1, 3, 0.5], [0.333, 1, 1 / 6], [2.001, 6, 1]]  # lower triangle rounded
    exact = [[1, 3, 0.5], [1 / 3, 1, 1 / 6], [2, 6, 1]]
    np.testing.assert_allclose(weights.ahp(rounded).weights, weights.ahp(exact).weights, rtol=1e-12)
    with pytest.raises(EngineError):
        weights.ahp([[1, 3], [0.3, 1]])  # 10 % off
