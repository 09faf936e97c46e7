"""Estimators over a design: domains as subpopulations, missing answers per column,
Wilson intervals with the Kish effective n, satisfaction indicators and rates, records."""

import math

import numpy as np
import pytest

from services.survey.estimation import (
    EstimationError,
    SurveyDesign,
    domain_estimates,
    weighted_mean,
    weighted_proportion,
    weighted_total,
)
from tests.survey.estimation.test_design import sample, var_total_by_loops


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
