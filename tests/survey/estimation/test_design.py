"""Design-based SEs, domains, fpc, lonely PSUs, Kish and base weights, each checked
against a computation written independently here (plain loops over strata and PSUs,
textbook ratio-estimator variance)."""

import math
from collections import defaultdict

import numpy as np
import pytest

from services.survey.estimation import (
    EstimationError,
    SurveyDesign,
    base_weights,
    domain_estimates,
    effective_n,
    kish_deff,
    weighted_mean,
    weighted_total,
)


def sample(seed=1, n_strata=4, psus=5, per_psu=6):
    rng = np.random.default_rng(seed)
    strata, clusters, w, y, dom = [], [], [], [], []
    for h in range(n_strata):
        for c in range(psus):
            for _ in range(per_psu):
                strata.append(f"S{h}")
                clusters.append(c)  # reused across strata: must be nested
                w.append(rng.uniform(5, 50))
                y.append(rng.normal(10 + h, 3))
                dom.append(rng.choice(["a", "b", "c"]))
    return (np.array(strata), np.array(clusters), np.array(w), np.array(y), np.array(dom))


def var_total_by_loops(strata, clusters, x, big_n=None):
    """V(Σx) = Σ_h (1 − n_h/N_h) n_h/(n_h−1) Σ_i (t_hi − t̄_h)², written with dicts."""
    totals = defaultdict(lambda: defaultdict(float))
    for h, c, xi in zip(strata, clusters, x, strict=True):
        totals[h][c] += xi
    v = 0.0
    for h, psus in totals.items():
        t = list(psus.values())
        nh = len(t)
        mean = sum(t) / nh
        f = nh / big_n[h] if big_n else 0.0
        v += (1 - f) * nh / (nh - 1) * sum((ti - mean) ** 2 for ti in t)
    return v


def test_total_se_matches_loop_formula_with_fpc():
    strata, clusters, w, y, _ = sample()
    big_n = {"S0": 20, "S1": 40, "S2": 8, "S3": 100}
    design = SurveyDesign(w, strata, clusters, population_psus=big_n)
    est = weighted_total(design, y)
    assert est.estimate == pytest.approx(np.sum(w * y))
    assert est.se == pytest.approx(math.sqrt(var_total_by_loops(strata, clusters, w * y, big_n)))


def test_fraction_and_population_fpc_agree_and_fpc_shrinks_se():
    strata, clusters, w, y, _ = sample()
    big_n = {"S0": 20, "S1": 40, "S2": 8, "S3": 100}
    frac = {h: 5 / n for h, n in big_n.items()}
    a = weighted_mean(SurveyDesign(w, strata, clusters, population_psus=big_n), y)
    b = weighted_mean(SurveyDesign(w, strata, clusters, sampling_fraction=frac), y)
    c = weighted_mean(SurveyDesign(w, strata, clusters), y)
    assert a.se == pytest.approx(b.se)
    assert a.se < c.se


def test_per_row_fpc_must_be_constant_within_stratum():
    strata, clusters, w, _, _ = sample()
    fpc = np.arange(strata.size, dtype=float) + 10
    with pytest.raises(EstimationError):
        SurveyDesign(w, strata, clusters, population_psus=fpc)


def test_mean_se_matches_ratio_estimator_formula():
    """Mean = Ŷ/X̂ with X the domain indicator: V = (V(Ŷ) + R²V(X̂) − 2R·C(Ŷ,X̂)) / X̂²."""
    strata, clusters, w, y, dom = sample(seed=3)
    design = SurveyDesign(w, strata, clusters)
    ind = (dom == "b").astype(float)
    yy, xx = w * y * ind, w * ind
    r = yy.sum() / xx.sum()
    v_y = var_total_by_loops(strata, clusters, yy)
    v_x = var_total_by_loops(strata, clusters, xx)
    cov = (var_total_by_loops(strata, clusters, yy + xx) - v_y - v_x) / 2
    expected = math.sqrt(v_y + r * r * v_x - 2 * r * cov) / xx.sum()
    table = domain_estimates(design, y, dom)
    got = table.get(0, "b")
    assert got.estimate == pytest.approx(r)
    assert got.se == pytest.approx(expected)
    assert got.n == int(ind.sum())
    assert weighted_mean(design, y, dom == "b").se == pytest.approx(expected)


def test_lonely_psu_rules():
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([1.0, 5.0, 2.0, 8.0, 3.0])
    strata = np.array(["A", "A", "B", "B", "C"])  # C has one PSU
    with pytest.raises(EstimationError):
        SurveyDesign(w, strata, lonely_psu="fail")
    cert = weighted_total(SurveyDesign(w, strata, lonely_psu="certainty"), y)
    x = w * y
    v_ab = var_total_by_loops(strata[:4], np.arange(4), x[:4])
    assert cert.se == pytest.approx(math.sqrt(v_ab))
    adj = weighted_total(SurveyDesign(w, strata, lonely_psu="adjust"), y)
    grand = x.mean()  # mean of all five PSU totals
    assert adj.se == pytest.approx(math.sqrt(v_ab + (x[4] - grand) ** 2))


def test_kish_against_one_plus_cv_squared():
    w = np.random.default_rng(7).lognormal(0, 0.6, 500)
    cv2 = np.var(w) / np.mean(w) ** 2  # population variance (ddof=0)
    assert kish_deff(w) == pytest.approx(1 + cv2)
    assert effective_n(w) == pytest.approx(500 / (1 + cv2))
    assert kish_deff(np.full(10, 3.0)) == pytest.approx(1.0)


def test_base_weights_per_stratum_and_cell():
    strata = np.array(["T1", "T1", "T1", "T2", "T2"])
    assert base_weights(strata, {"T1": 300, "T2": 50}).tolist() == [100, 100, 100, 25, 25]
    cells = np.array(["F", "M", "M", "F", "F"])
    got = base_weights(strata, {("T1", "F"): 10, ("T1", "M"): 40, ("T2", "F"): 8}, cells)
    assert got.tolist() == [10, 20, 20, 4, 4]
    with pytest.raises(EstimationError, match="T2"):
        base_weights(strata, {"T1": 300})
    with pytest.raises(EstimationError):
        base_weights(strata, {"T1": 300, "T2": 0})


def test_bad_weights_are_rejected():
    with pytest.raises(EstimationError):
        SurveyDesign([1.0, -1.0])
    with pytest.raises(EstimationError):
        SurveyDesign([1.0, float("nan")])
    with pytest.raises(EstimationError):
        SurveyDesign([1.0, 1.0], ["a", "a"], population_psus=1)


@pytest.mark.parametrize("rule", ["adjust", "certainty"])
def test_lonely_psu_rule_is_the_same_per_domain_and_for_a_domain_mask(rule):
    strata, clusters, w, y, dom = sample(seed=8, n_strata=5, psus=3, per_psu=4)
    lonely = (strata == "S4") & (clusters > 0)  # S4 keeps a single PSU
    strata, clusters, w, y, dom = (a[~lonely] for a in (strata, clusters, w, y, dom))
    design = SurveyDesign(w, strata, clusters, lonely_psu=rule)
    for statistic, single in (("total", weighted_total), ("mean", weighted_mean)):
        table = domain_estimates(design, y, dom, statistic=statistic)
        for label in table.domains:
            alone = single(design, y, dom == label)
            assert table.get(0, label).se == pytest.approx(alone.se, rel=1e-10)
    x = w * y * (dom == "a")
    totals = defaultdict(float)
    for h, c, xi in zip(strata, clusters, x, strict=True):
        totals[(h, c)] += xi
    grand = sum(totals.values()) / len(totals)
    lonely_part = (totals[("S4", 0)] - grand) ** 2 if rule == "adjust" else 0.0
    keep = strata != "S4"
    expected = var_total_by_loops(strata[keep], clusters[keep], x[keep]) + lonely_part
    got = domain_estimates(design, y, dom, statistic="total").get(0, "a")
    assert got.se == pytest.approx(math.sqrt(expected))
