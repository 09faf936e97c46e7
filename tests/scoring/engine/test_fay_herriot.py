"""Fay–Herriot against R sae (golden case small_area: the milk data, EXPECTED.md).

Fixed effects, EBLUPs and REML MSEs are R ``sae::eblupFH``/``mseFH`` figures (tolerance
1e-4), from EXPECTED.md and from a run of sae's own code in R kept in
``reference/sae_milk.out`` (how it was made: ``reference/sae_milk.R``), which also gives
sae's log-likelihoods, all 43 EBLUPs and the ML MSEs. The log-likelihood figures in
EXPECTED.md are not what ``sae`` prints (R prints 12.6774781 for REML and 12.7711743 for
ML): they come from samplics' formula, which builds V = diag(ψ) + σv²·J with J the
all-ones matrix. The tests reproduce samplics' REML figure from its own formula;
samplics' ML figure 1.8154478 is not reproduced (the same formula at the converged ML
fit gives 1.81709; see docs/scoring-engine.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from services.scoring.engine import fay_herriot
from services.scoring.engine.errors import EngineError

TOL = 1e-4
REML_BETA = [0.9681890, 0.1327801, 0.2269462, -0.2413011]
ML_BETA = [0.9677986, 0.1278756, 0.2266909, -0.2425804]
EBLUP_1_10 = [
    1.0219703,
    1.0476018,
    1.0679513,
    0.7608170,
    0.8461574,
    0.9743727,
    1.0584523,
    1.0977762,
    1.2215449,
    1.1951455,
]
EBLUP_37_43 = [0.5298867, 0.7434466, 0.7548996, 0.7701918, 0.7481164, 0.8040773, 0.6810870]
MSE_1_5 = [0.013460220, 0.005372876, 0.005701990, 0.008541740, 0.009579594]
SAMPLICS_REML_LOGLIK = -9.4034611881
SAMPLICS_ML_LOGLIK = 1.8154478022829608


@pytest.fixture(scope="module")
def milk(golden_dir):
    with open(golden_dir / "small_area" / "milk.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([float(r["yi"]) for r in rows])
    sd = np.array([float(r["SD"]) for r in rows])
    area = np.array([int(r["MajorArea"]) for r in rows])
    x = np.column_stack([np.ones(y.size)] + [(area == k).astype(float) for k in (2, 3, 4)])
    return y, sd**2, x


@pytest.fixture(scope="module")
def reml(milk):
    return fay_herriot.fit(*milk, method="REML")


@pytest.fixture(scope="module")
def ml(milk):
    return fay_herriot.fit(*milk, method="ML")


def test_reml_fixed_effects_eblups_and_mse_match_r_sae(reml):
    assert reml.converged
    np.testing.assert_allclose(reml.beta, REML_BETA, atol=TOL)
    np.testing.assert_allclose(reml.eblup[:10], EBLUP_1_10, atol=TOL)
    np.testing.assert_allclose(reml.eblup[36:], EBLUP_37_43, atol=TOL)
    np.testing.assert_allclose(reml.mse[:5], MSE_1_5, atol=TOL)


def test_ml_fixed_effects_match_r_sae(ml):
    assert ml.converged
    np.testing.assert_allclose(ml.beta, ML_BETA, atol=TOL)


def test_sae_tolerance_gives_the_same_figures(milk):
    """sae stops Fisher scoring at a relative change of 1e-4; so may we."""
    loose = fay_herriot.fit(*milk, method="REML", tol=1e-4)
    np.testing.assert_allclose(loose.eblup[:10], EBLUP_1_10, atol=TOL)
    np.testing.assert_allclose(loose.mse[:5], MSE_1_5, atol=TOL)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_loglik_is_sae_formula_by_independent_computation(milk, method):
    y, psi, x = milk
    fit = fay_herriot.fit(y, psi, x, method=method)
    independent = norm.logpdf(y, loc=x @ fit.beta, scale=np.sqrt(fit.sigma2_v + psi)).sum()
    assert fit.loglik == pytest.approx(independent, abs=1e-9)


def _r_sae_output() -> dict[tuple[str, str], list[float]]:
    """``reference/sae_milk.out``: lines "<method> <quantity> <values…>" printed by R."""
    lines = (Path(__file__).parent / "reference" / "sae_milk.out").read_text().splitlines()
    return {(m, q): [float(v) for v in values]
            for m, q, *values in (line.split() for line in lines if line.strip())}


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_everything_matches_a_run_of_r_sae(milk, method):
    """sae's eblupFH and mseFH run in R on the same data: σv², β, log-likelihood, the 43
    EBLUPs and MSEs, to 1e-4 (sae stops Fisher scoring at a relative change of 1e-4)."""
    r = _r_sae_output()
    fit = fay_herriot.fit(*milk, method=method)
    assert fit.sigma2_v == pytest.approx(r[method, "refvar"][0], abs=TOL)
    np.testing.assert_allclose(fit.beta, r[method, "beta"], atol=TOL)
    assert fit.loglik == pytest.approx(r[method, "loglike"][0], abs=TOL)
    np.testing.assert_allclose(fit.eblup, r[method, "eblup"], atol=TOL)
    np.testing.assert_allclose(fit.mse, r[method, "mse"], atol=TOL)
    assert len(r[method, "eblup"]) == len(r[method, "mse"]) == 43


def test_r_sae_run_agrees_with_expected_md(milk):
    """The R run reproduces EXPECTED.md's fixed effects, EBLUPs and REML MSEs, so it is the
    same sae; its log-likelihoods are not EXPECTED.md's."""
    r = _r_sae_output()
    np.testing.assert_allclose(r["REML", "beta"], REML_BETA, atol=1e-7)
    np.testing.assert_allclose(r["ML", "beta"], ML_BETA, atol=1e-7)
    np.testing.assert_allclose(r["REML", "eblup"][:10], EBLUP_1_10, atol=1e-7)
    np.testing.assert_allclose(r["REML", "eblup"][36:], EBLUP_37_43, atol=1e-7)
    np.testing.assert_allclose(r["REML", "mse"][:5], MSE_1_5, atol=1e-9)
    assert abs(r["REML", "loglike"][0] - SAMPLICS_REML_LOGLIK) > 20
    assert abs(r["ML", "loglike"][0] - SAMPLICS_ML_LOGLIK) > 10


def test_restricted_loglik_by_independent_computation(milk, reml):
    """REML criterion −½[(m−p) log 2π + log|V| + log|X'V⁻¹X| + r'V⁻¹r] (Harville 1977)."""
    y, psi, x = milk
    v = np.diag(reml.sigma2_v + psi)
    full = multivariate_normal(mean=x @ reml.beta, cov=v).logpdf(y)
    xtvx = x.T @ np.linalg.inv(v) @ x
    expected = full - 0.5 * np.linalg.slogdet(xtvx)[1] + 0.5 * x.shape[1] * np.log(2 * np.pi)
    assert reml.restricted_loglik == pytest.approx(expected, abs=1e-9)


def _samplics_loglik(method, y, psi, x, sigma2, beta):
    """samplics EblupAreaModel._log_likelihood as published, V = diag(ψ) + σv²·J."""
    m = y.size
    v = np.diag(psi) + sigma2 * np.ones((m, m))
    vi = np.linalg.inv(v)
    resid = y - x @ beta
    logdet = np.linalg.slogdet(v)[1]
    if method == "ML":
        return -0.5 * (m * np.log(2 * np.pi) + logdet + resid @ vi @ resid)
    return -0.5 * (
        m * np.log(2 * np.pi) + logdet + np.linalg.slogdet(x.T @ vi @ x)[1] + y @ vi @ resid
    )


def test_expected_reml_loglik_is_samplics_formula(milk, reml):
    y, psi, x = milk
    value = _samplics_loglik("REML", y, psi, x, reml.sigma2_v, reml.beta)
    assert value == pytest.approx(SAMPLICS_REML_LOGLIK, abs=TOL)
    assert abs(reml.loglik - SAMPLICS_REML_LOGLIK) > 1  # not sae's convention


def test_expected_ml_loglik_not_reproduced_documented_value(milk, ml):
    """Documented gap: samplics' formula at the converged ML fit is 1.81709, not 1.81545."""
    y, psi, x = milk
    value = _samplics_loglik("ML", y, psi, x, ml.sigma2_v, ml.beta)
    assert value == pytest.approx(1.81709, abs=TOL)
    assert abs(value - SAMPLICS_ML_LOGLIK) > 1e-3


def test_gamma_and_eblup_identity(milk, reml):
    y, psi, x = milk
    gamma = reml.sigma2_v / (reml.sigma2_v + psi)
    np.testing.assert_allclose(reml.gamma, gamma)
    np.testing.assert_allclose(reml.eblup, gamma * y + (1 - gamma) * (x @ reml.beta))
    np.testing.assert_allclose(reml.mse[:5] > reml.gamma[:5] * psi[:5], True)


def test_ml_mse_subtracts_bias_term(milk, ml):
    """ML MSE = g1 + g2 + 2 g3 − b·(1−γ)², b = −tr[(X'V⁻¹X)⁻¹ X'V⁻²X] / Σ V⁻² (sae mseFH)."""
    y, psi, x = milk
    s2 = ml.sigma2_v
    vi = 1 / (s2 + psi)
    q = np.linalg.inv(x.T @ np.diag(vi) @ x)
    bd = psi / (s2 + psi)
    g1 = psi * (1 - bd)
    g2 = bd**2 * np.array([xi @ q @ xi for xi in x])
    g3 = bd**2 * (2 / np.sum(vi**2)) / (s2 + psi)
    b = -np.trace(q @ x.T @ np.diag(vi**2) @ x) / np.sum(vi**2)
    np.testing.assert_allclose(ml.mse, g1 + g2 + 2 * g3 - b * bd**2, rtol=1e-10)


def test_bad_inputs_raise(milk):
    y, psi, x = milk
    with pytest.raises(EngineError):
        fay_herriot.fit(y, psi, x, method="FH")
    with pytest.raises(EngineError):
        fay_herriot.fit(y, np.zeros_like(psi), x)
    with pytest.raises(EngineError):
        fay_herriot.fit(y[:4], psi[:4], x[:4])
