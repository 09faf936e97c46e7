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
    weighted_proportion,
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


def test_domain_is_a_subpopulation_not_a_subset():
    strata, clusters, w, y, dom = sample(seed=4)
    full = domain_estimates(SurveyDesign(w, strata, clusters), y, dom).get(0, "a")
    keep = dom == "a"
    subset = weighted_mean(SurveyDesign(w[keep], strata[keep], clusters[keep]), y[keep])
    assert full.estimate == pytest.approx(subset.estimate)
    # A total over a domain shows the difference plainly: the subset ignores the
    # randomness of the domain size.
    t_full = domain_estimates(SurveyDesign(w, strata, clusters), y, dom,
                              statistic="total").get(0, "a")
    t_sub = weighted_total(SurveyDesign(w[keep], strata[keep], clusters[keep]), y[keep])
    assert t_full.se == pytest.approx(math.sqrt(var_total_by_loops(
        strata, clusters, w * y * keep)))
    assert abs(t_full.se - t_sub.se) > 1e-6 * t_full.se


def test_missing_answers_are_left_out_of_their_column_only():
    strata, clusters, w, y, dom = sample(seed=5)
    y2 = y.copy()
    y2[::7] = np.nan
    table = domain_estimates(SurveyDesign(w, strata, clusters), np.column_stack([y, y2]), dom)
    keep = ~np.isnan(y2)
    for j, label in enumerate(table.domains):
        inside = (dom == label) & keep
        assert table.n[1, j] == inside.sum()
        assert table.estimate[1, j] == pytest.approx(np.sum(w[inside] * y[inside])
                                                     / np.sum(w[inside]))
        assert table.n[0, j] == (dom == label).sum()


def test_domain_without_answers_is_nan_not_an_error():
    strata, clusters, w, y, dom = sample()
    y = np.where(dom == "c", np.nan, y)
    est = domain_estimates(SurveyDesign(w, strata, clusters), y, dom).get(0, "c")
    assert est.n == 0 and math.isnan(est.estimate) and est.to_dict()["estimate"] is None


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


def test_proportion_uses_wilson_with_effective_n():
    w = np.array([1.0, 1.0, 2.0, 4.0, 1.0, 3.0, 2.0, 1.0])
    y = np.array([1, 0, 1, 1, 0, 0, 1, 1], dtype=float)
    est = weighted_proportion(SurveyDesign(w), y)
    p = np.sum(w * y) / np.sum(w)
    n_eff = np.sum(w) ** 2 / np.sum(w * w)
    z = 1.959963984540054
    centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff ** 2)) / (1 + z * z / n_eff)
    assert est.estimate == pytest.approx(p)
    assert est.n_eff == pytest.approx(n_eff)
    assert (est.ci_low, est.ci_high) == pytest.approx((centre - half, centre + half))
    with pytest.raises(EstimationError):
        weighted_proportion(SurveyDesign(w), y * 2)


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


def test_satisfaction_indicator_codes_missing_and_shapes():
    from services.survey.estimation import satisfaction_indicator, satisfaction_rates

    got = satisfaction_indicator(np.array([5, 4, 3, 98, 99, 1]), {4, 5}, {98, 99})
    assert np.array_equal(got, [1, 1, 0, np.nan, np.nan, 0], equal_nan=True)
    labels = np.array(["very", None, "not", "dk", "fairly"], dtype=object)
    got = satisfaction_indicator(labels, {"very", "fairly"}, {"dk"})
    assert np.array_equal(got, [1, np.nan, 0, np.nan, 1], equal_nan=True)
    floats = np.array([[4.0, np.nan], [2.0, 5.0], [98.0, 4.0]])
    got = satisfaction_indicator(floats, {4, 5}, {98})
    assert np.array_equal(got, [[1, np.nan], [0, 1], [np.nan, 1]], equal_nan=True)
    w = np.array([1.0, 3.0, 2.0])
    table = satisfaction_rates(SurveyDesign(w), floats, {4, 5}, {98})
    assert table.estimate[:, 0] == pytest.approx([1 / 4, 1.0])
    assert table.n[:, 0].tolist() == [2, 2]


def test_records_are_json_ready_and_unknown_domain_is_a_key_error():
    strata, clusters, w, y, dom = sample()
    table = domain_estimates(SurveyDesign(w, strata, clusters), np.column_stack([y, y]), dom,
                             variables=["q1", "q2"])
    records = table.records()
    assert len(records) == 2 * 3 and {r["variable"] for r in records} == {"q1", "q2"}
    assert set(records[0]) >= {"domain", "estimate", "se", "n", "n_eff", "deff_kish",
                               "ci_low", "ci_high"}
    assert all(isinstance(r["n"], int) and isinstance(r["se"], float) for r in records)
    with pytest.raises(KeyError):
        table.get(0, "zzz")
