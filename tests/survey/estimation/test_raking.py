"""Raking: margins met, reports, errors naming the margin, trimming, per-township
raking in one call, and calibration SEs against an explicit least-squares computation."""

import math
from collections import defaultdict

import numpy as np
import pytest

from services.survey.estimation import (
    EstimationError,
    Margin,
    SurveyDesign,
    Trim,
    domain_estimates,
    rake,
    satisfaction_rates,
    weighted_mean,
)


def poll(seed=0, townships=("T1", "T2", "T3"), n_per=300):
    rng = np.random.default_rng(seed)
    town = np.repeat(np.array(townships), n_per)
    n = town.size
    sex = rng.choice(["F", "M"], n, p=[0.35, 0.65])
    age = rng.choice(["18-39", "40-59", "60+"], n, p=[0.2, 0.3, 0.5])
    y = rng.normal(3 + (sex == "F") + 0.5 * (age == "60+"), 1.0)
    w = np.full(n, 100.0)
    pop_sex, pop_age = {}, {}
    for i, t in enumerate(townships):
        size = 30000 + 5000 * i
        pop_sex.update({(t, "F"): 0.5 * size, (t, "M"): 0.5 * size})
        pop_age.update({(t, "18-39"): 0.4 * size, (t, "40-59"): 0.35 * size,
                        (t, "60+"): 0.25 * size})
    margins = [Margin("sex", [town, sex], pop_sex), Margin("age", [town, age], pop_age)]
    return town, sex, age, y, w, margins, pop_sex, pop_age


def test_raked_weights_meet_every_margin_and_report_it():
    town, sex, age, _, w, margins, pop_sex, pop_age = poll()
    result = rake(SurveyDesign(w, town), margins, tol=1e-9, max_iter=100)
    assert result.converged and 1 < result.iterations < 100
    assert result.max_margin_error <= 1e-9
    for (t, s), target in pop_sex.items():
        assert result.weights[(town == t) & (sex == s)].sum() == pytest.approx(target, rel=1e-8)
    for (t, a), target in pop_age.items():
        assert result.weights[(town == t) & (age == a)].sum() == pytest.approx(target, rel=1e-8)
    report = result.report()
    assert [m["name"] for m in report["margins"]] == ["sex", "age"]
    assert report["converged"] is True and report["trim"] is None


def test_iteration_cap_is_reported_not_raised():
    town, _, _, _, w, margins, _, _ = poll()
    result = rake(SurveyDesign(w, town), margins, tol=1e-14, max_iter=2)
    assert result.iterations == 2 and not result.converged
    assert result.max_margin_error > 1e-14


def test_respondent_in_a_category_without_population_names_the_margin():
    town, _, age, _, w, _, _, pop_age = poll()
    partial = {k: v for k, v in pop_age.items() if k != ("T2", "60+")}
    with pytest.raises(EstimationError) as info:
        rake(SurveyDesign(w, town), [Margin("age", [town, age], partial)])
    assert info.value.margin == "age" and info.value.category == ("T2", "60+")
    assert "age" in info.value.errors


def test_population_category_without_respondents_names_the_margin():
    town, sex, _, _, w, _, pop_sex, _ = poll()
    pop = dict(pop_sex)
    pop[("T1", "F")] -= 10
    pop[("T1", "X")] = 10
    with pytest.raises(EstimationError, match="no respondents") as info:
        rake(SurveyDesign(w, town), [Margin("sex", [town, sex], pop)])
    assert info.value.margin == "sex" and info.value.category == ("T1", "X")


def test_missing_category_of_a_respondent_names_the_margin():
    town, sex, _, _, w, _, pop_sex, _ = poll()
    sex = sex.astype(object)
    sex[5] = None
    with pytest.raises(EstimationError) as info:
        rake(SurveyDesign(w, town), [Margin("sex", [town, sex], pop_sex)])
    assert info.value.margin == "sex"


def test_margins_with_different_totals_are_rejected():
    town, sex, age, _, w, _, pop_sex, pop_age = poll()
    pop_age = {k: v * 1.1 for k, v in pop_age.items()}
    with pytest.raises(EstimationError, match="age"):
        rake(SurveyDesign(w, town), [Margin("sex", [town, sex], pop_sex),
                                     Margin("age", [town, age], pop_age)])


def test_trimming_keeps_weights_in_bounds_and_margins_met():
    town, sex, age, _, w, margins, pop_sex, pop_age = poll(seed=2)
    untrimmed = rake(SurveyDesign(w, town), margins)
    mean = np.array([untrimmed.weights[town == t].mean() for t in town])
    assert (untrimmed.weights / mean).max() > 2.2  # the bound below bites
    result = rake(SurveyDesign(w, town), margins, trim=Trim(lower=0.3, upper=2.2), tol=1e-8)
    trim = result.trim
    assert trim.rounds >= 1 and trim.trimmed_rows > 0 and trim.at_bound >= trim.trimmed_rows
    assert trim.converged and result.converged
    ratio = result.weights / mean
    assert ratio.max() <= 2.2 + 1e-12 and ratio.min() >= 0.3 - 1e-12
    assert trim.max_ratio_to_mean == pytest.approx(ratio.max())
    for (t, s), target in pop_sex.items():
        assert result.weights[(town == t) & (sex == s)].sum() == pytest.approx(target, rel=1e-7)
    for (t, a), target in pop_age.items():
        assert result.weights[(town == t) & (age == a)].sum() == pytest.approx(target, rel=1e-7)
    assert result.report()["trim"]["at_bound"] == trim.at_bound


def test_infeasible_trim_bounds_are_reported_as_not_converged():
    town, _, _, _, w, margins, _, _ = poll(seed=2)
    result = rake(SurveyDesign(w, town), margins, trim=Trim(lower=0.3, upper=1.3), tol=1e-8)
    assert not result.converged and not result.trim.converged
    assert result.max_margin_error > 0.01
    assert result.trim.max_ratio_to_mean <= 1.3 + 1e-12


def test_absolute_trim_bounds():
    town, _, _, _, w, margins, _, _ = poll(seed=2)
    before = rake(SurveyDesign(w, town), margins)
    assert before.weights.max() > 250
    result = rake(SurveyDesign(w, town), margins, trim=Trim(upper=250.0, relative=False),
                  tol=1e-8)
    assert result.converged and result.trim.rounds > 0
    assert result.weights.max() <= 250.0 + 1e-9


def test_empty_trim_bounds_are_rejected():
    town, _, _, _, w, margins, _, _ = poll(seed=2)
    with pytest.raises(EstimationError):
        rake(SurveyDesign(w, town), margins, trim=Trim(lower=2.0, upper=1.0))


def test_one_call_for_all_townships_equals_raking_each_township_alone():
    town, sex, age, y, w, margins, pop_sex, pop_age = poll(seed=3)
    together = rake(SurveyDesign(w, town), margins, tol=1e-12)
    table = domain_estimates(together.design, y, town)
    for t in ("T1", "T2", "T3"):
        keep = town == t
        alone = rake(SurveyDesign(w[keep]), [
            Margin("sex", sex[keep], {s: v for (tt, s), v in pop_sex.items() if tt == t}),
            Margin("age", age[keep], {a: v for (tt, a), v in pop_age.items() if tt == t})],
            tol=1e-12)
        assert together.weights[keep] == pytest.approx(alone.weights, rel=1e-9)
        single = weighted_mean(alone.design, y[keep])
        assert table.get(0, t).estimate == pytest.approx(single.estimate)
        assert table.get(0, t).se == pytest.approx(single.se, rel=1e-8)


def calibrated_se_by_lstsq(w0, w, strata, indicators, y, domain):
    """R ``calibrate``: residual of the base-weighted LS fit of the influence values on
    the margins' indicators, times the final weights, then the stratified formula."""
    dw = w * domain
    mean = np.sum(dw * y) / dw.sum()
    u = domain * (y - mean) / dw.sum()
    root = np.sqrt(w0)
    beta, *_ = np.linalg.lstsq(indicators * root[:, None], u * root, rcond=None)
    x = w * (u - indicators @ beta)
    groups = defaultdict(list)
    for h, xi in zip(strata, x, strict=True):
        groups[h].append(xi)
    v = sum(len(g) / (len(g) - 1) * sum((xi - np.mean(g)) ** 2 for xi in g)
            for g in groups.values())
    return mean, math.sqrt(v)


def indicator_matrix(*arrays):
    cols = []
    for arr in arrays:
        for label in np.unique(arr):
            cols.append((arr == label).astype(float))
    return np.column_stack(cols)


@pytest.mark.parametrize("base", ["equal", "unequal"])
@pytest.mark.parametrize("domain_of", ["age_within_town", "sex_across_towns"])
def test_raked_domain_se_matches_explicit_least_squares(domain_of, base):
    town, sex, age, y, w, margins, _, _ = poll(seed=4, n_per=120)
    if base == "unequal":  # spread over six orders of magnitude
        w = w * np.exp(np.random.default_rng(1).normal(0, 1.5, w.size))
        w = np.where(town == "T3", w * 1e-3, w)
    result = rake(SurveyDesign(w, town), margins, tol=1e-12)
    ts = np.char.add(np.char.add(town, "/"), sex)
    ta = np.char.add(np.char.add(town, "/"), age)
    x = indicator_matrix(ts, ta)
    by = ta if domain_of == "age_within_town" else sex
    table = domain_estimates(result.design, y, by)
    for label in table.domains:
        mean, se = calibrated_se_by_lstsq(w, result.weights, town, x, y,
                                          (by == label).astype(float))
        assert table.get(0, label).estimate == pytest.approx(mean)
        assert table.get(0, label).se == pytest.approx(se, rel=1e-7)


def test_raking_on_a_correlated_margin_lowers_the_se():
    town, sex, age, y, w, margins, _, _ = poll(seed=5)
    before = domain_estimates(SurveyDesign(w, town), y, town)
    after = domain_estimates(rake(SurveyDesign(w, town), margins).design, y, town)
    # y depends on sex and age, so the calibration residuals are smaller than y's spread
    # relative to what the weights alone would give.
    deff_free = after.se / before.se / np.sqrt(after.deff_kish)
    assert np.all(deff_free < 1.0)


def test_satisfaction_rate_excludes_dont_know_and_refused():
    town, _, _, y, w, margins, _, _ = poll(seed=6)
    codes = np.clip(np.round(y), 1, 5).astype(int)
    codes[::9] = 98  # don't know
    codes[::13] = 99  # refused
    raked = rake(SurveyDesign(w, town), margins)
    table = satisfaction_rates(raked.design, codes, {4, 5}, {98, 99}, by=town)
    for t in ("T1", "T2", "T3"):
        valid = (town == t) & (codes < 98)
        wv = raked.weights[valid]
        expected = np.sum(wv * np.isin(codes[valid], [4, 5])) / wv.sum()
        got = table.get(0, t)
        assert got.estimate == pytest.approx(expected)
        assert got.n == valid.sum()
        assert got.ci_low < got.estimate < got.ci_high


def test_too_many_domains_across_raking_blocks_is_a_clear_error():
    town, sex, age, y, w, _, pop_sex, pop_age = poll(seed=7, n_per=100)
    county_sex = {s: sum(v for (_, ss), v in pop_sex.items() if ss == s) for s in ("F", "M")}
    raked = rake(SurveyDesign(w, town), [Margin("sex", sex, county_sex)])
    limit = 2 * town.size
    assert domain_estimates(raked.design, y, sex, max_elements=limit).n.sum() == town.size
    with pytest.raises(EstimationError, match="raking blocks"):
        domain_estimates(raked.design, y, town, max_elements=limit)  # 3 across one block


def test_raked_se_with_clusters_and_fpc_matches_explicit_least_squares():
    town, sex, age, y, w, margins, _, _ = poll(seed=9, n_per=120)
    village = np.tile(np.repeat(np.arange(12), 10), 3)  # 12 villages of 10 per township
    big_n = {"T1": 40, "T2": 60, "T3": 12}
    design = SurveyDesign(w, town, village, population_psus=big_n)
    result = rake(design, margins, tol=1e-12)
    table = domain_estimates(result.design, y, town)
    x_ind = indicator_matrix(np.char.add(town, sex), np.char.add(town, age))
    for t in ("T1", "T2", "T3"):
        d = (town == t).astype(float)
        dw = result.weights * d
        mean = np.sum(dw * y) / dw.sum()
        u = d * (y - mean) / dw.sum()
        root = np.sqrt(w)
        beta, *_ = np.linalg.lstsq(x_ind * root[:, None], u * root, rcond=None)
        scores = result.weights * (u - x_ind @ beta)
        v = 0.0
        for h in ("T1", "T2", "T3"):
            psu_totals = [scores[(town == h) & (village == c)].sum() for c in range(12)]
            nh = len(psu_totals)
            v += (1 - nh / big_n[h]) * nh / (nh - 1) * np.sum(
                (np.array(psu_totals) - np.mean(psu_totals)) ** 2)
        assert table.get(0, t).estimate == pytest.approx(mean)
        assert table.get(0, t).se == pytest.approx(math.sqrt(v), rel=1e-7)
    assert table.get(0, "T3").se < domain_estimates(
        SurveyDesign(w, town, village), y, town).get(0, "T3").se  # fpc 12/12 → 0 here


def test_margins_disagreeing_within_one_township_are_rejected():
    town, sex, age, _, w, _, pop_sex, pop_age = poll()
    pop_age = dict(pop_age)
    pop_age[("T2", "60+")] += 500
    pop_age[("T3", "60+")] -= 500  # grand totals still agree
    with pytest.raises(EstimationError, match="age") as info:
        rake(SurveyDesign(w, town), [Margin("sex", [town, sex], pop_sex),
                                     Margin("age", [town, age], pop_age)])
    assert info.value.margin == "age" and info.value.category[0] == "T2"


def _reference_rake(weights, row_cells, targets, tol, max_iter=100):
    """The previous implementation of plain raking: IPF on every respondent's weight
    (a bincount per margin and cycle over all rows), kept here as the reference."""
    w = weights.copy()
    for iteration in range(1, max_iter + 1):
        for cells, t in zip(row_cells, targets, strict=True):
            w *= (t / np.bincount(cells, w, minlength=t.size))[cells]
        err = max(float((np.abs(np.bincount(c, w, minlength=t.size) - t) / t).max())
                  for c, t in zip(row_cells, targets, strict=True))
        if err <= tol:
            return w, iteration
    return w, max_iter


@pytest.mark.parametrize("townships", [1, 40])
def test_raking_the_combinations_gives_the_weights_of_raking_every_row(townships):
    """100,000 respondents, 3 margins (3, 2, 4 categories), each township raked to its
    own margins: the weights of the previous row-by-row IPF to 1e-12, the same number
    of cycles, and the same indicator matrix and blocks for the SEs."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(18)
    n = 100_000
    labels = [np.array(["18-39", "40-59", "60+"]), np.array(["F", "M"]),
              np.array(["college", "high", "middle", "primary"])]  # sorted, as coded
    codes = [rng.choice(3, n, p=[0.25, 0.35, 0.4]), rng.choice(2, n, p=[0.55, 0.45]),
             rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])]
    town_code = rng.integers(0, townships, n)
    town = np.array([f"T{t:02d}" for t in range(townships)])[town_code]
    weights = rng.uniform(50, 150, n)
    shares = [np.array([0.35, 0.35, 0.3]), np.array([0.5, 0.5]),
              np.array([0.3, 0.35, 0.22, 0.13])]
    sizes = rng.uniform(20_000, 90_000, townships)
    margins, row_cells, targets = [], [], []
    for name, lab, code, share in zip(("age", "sex", "education"), labels, codes, shares,
                                      strict=True):
        population = {(f"T{t:02d}", str(lab[k])): sizes[t] * share[k]
                      for t in range(townships) for k in range(lab.size)}
        margins.append(Margin(name, [town, lab[code]], population))
        row_cells.append(town_code * lab.size + code)  # towns and labels sort as coded
        targets.append(np.array([population[key] for key in sorted(population)]))
    result = rake(SurveyDesign(weights), margins, tol=1e-10)
    expected, cycles = _reference_rake(weights, row_cells, targets, 1e-10)
    assert result.converged and result.iterations == cycles
    np.testing.assert_allclose(result.weights, expected, rtol=1e-12, atol=0)
    offsets = np.cumsum([0] + [t.size for t in targets])
    rows = np.tile(np.arange(n), 3)
    cols = np.concatenate([c + o for c, o in zip(row_cells, offsets, strict=False)])
    x = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, int(offsets[-1])))
    calibration = result.design.calibration
    assert (calibration.indicators != x).nnz == 0
    n_blocks, component = connected_components((x.T @ x).tocsr(), directed=False)
    assert calibration.n_blocks == n_blocks == townships
    np.testing.assert_array_equal(calibration.block, component[row_cells[0]])
