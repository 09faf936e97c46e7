"""The calibration bench (``bench/bench_calibration.py``): its simulated county relates
truth and observation as designed, its figures are computed as stated, and a run is
reproducible from its seed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench import calibration_metrics as metrics
from bench.bench_calibration import main
from bench.calibration_county import PERIOD, QUARTERS, Design, expected_visit_score, simulate


def _rows(snapshot, period, indicator, field=""):
    segment = next(s for s in snapshot["segments"] if s["period"] == period)
    return {r[0]: r for r in segment["rows"] if r[1] == indicator and r[2] == field}


def test_the_same_seed_prints_the_same_figures_and_another_seed_others(capsys):
    argv = ["--replications", "2", "--draws", "200", "--settings", "plain"]
    first = main(argv)
    second = main(argv)
    assert first == second
    assert "composite interval coverage, all units" in first
    assert main([*argv, "--seed", "7"]) != first
    printed = capsys.readouterr().out
    assert printed.count(first) == 2


def test_a_replication_is_its_seed_and_index():
    one, again, other = simulate(5, 0), simulate(5, 0), simulate(5, 1)
    assert one.observed == again.observed and one.truth == again.truth
    assert one.observed != other.observed
    assert [s["period"] for s in one.observed["segments"]] == [*QUARTERS, PERIOD]
    assert len(one.units) == 118


def test_exact_sources_are_observed_as_they_are():
    county = simulate(3, 0)
    for indicator in ("kt_on_time", "kt_lag", "dir_env_quality", "dir_petitions"):
        for period in (*QUARTERS, PERIOD):
            assert _rows(county.observed, period, indicator) == \
                _rows(county.truth, period, indicator)
    assert all(not s["discrepancy"] for s in county.truth["segments"])


def test_honest_units_report_the_truth_and_inflating_units_more():
    county = simulate(3, 0, Design(inflator_share=0.3))
    seen = _rows(county.observed, PERIOD, "sc_budget_execution")
    true = _rows(county.truth, PERIOD, "sc_budget_execution")
    seen_target = _rows(county.observed, PERIOD, "sc_target_completion", "target")
    true_target = _rows(county.truth, PERIOD, "sc_target_completion", "target")
    assert seen_target == true_target
    inflating = [u for u, flag in county.inflator.items() if flag]
    assert 10 < len(inflating) < 60
    for unit, flag in county.inflator.items():
        ratio = seen[unit][3] / true[unit][3]
        if flag:
            assert 1.05 <= ratio <= 1.15
        else:
            assert ratio == 1.0
    rates = next(s for s in county.observed["segments"] if s["period"] == PERIOD)["discrepancy"]
    honest = np.mean([r for u, r in rates.items() if not county.inflator[u]])
    caught = np.mean([r for u, r in rates.items() if county.inflator[u]])
    assert honest < 0.1 < 0.4 < caught


def test_poll_estimates_scatter_around_the_truth_by_their_se():
    z = []
    for rep in range(25):
        county = simulate(11, rep)
        seen = _rows(county.observed, PERIOD, "poll_satisfaction")
        true = _rows(county.truth, PERIOD, "poll_satisfaction")
        assert set(seen) == {f"T{i:02d}" for i in range(1, 13)}
        z += [(seen[u][3] - true[u][3]) / seen[u][4] for u in seen]
        assert all(true[u][4] is None for u in true)
    assert abs(np.mean(z)) < 0.2
    assert 0.85 < np.std(z) < 1.15


def test_inspection_means_scatter_around_the_expected_visit_score():
    z = []
    for rep in range(10):
        county = simulate(13, rep)
        seen = _rows(county.observed, PERIOD, "inspection_score")
        true = _rows(county.truth, PERIOD, "inspection_score")
        z += [(seen[u][3] - true[u][3]) / seen[u][4] for u in seen]
    assert abs(np.mean(z)) < 0.1
    assert 0.85 < np.std(z) < 1.2


def test_the_expected_capped_visit_score_against_monte_carlo():
    rng = np.random.default_rng(1)
    for mu, sd in ((82.0, 7.0), (96.0, 9.0), (99.0, 4.0)):
        draws = np.minimum(100.0, rng.normal(mu, sd, 400_000))
        assert expected_visit_score(np.array(mu), sd) == pytest.approx(draws.mean(), abs=0.03)


def test_shares_coverage_and_reliability_are_computed_as_stated():
    out = metrics.Outcomes()
    truth = [{"unit": "A", "composite": 1.0, "rank": 1, "advanced": True},
             {"unit": "B", "composite": 0.0, "rank": 2, "advanced": False}]
    observed = [{"unit": "A", "composite_lo": 0.5, "composite_hi": 1.5, "rank_lo": 1,
                 "rank_hi": 1, "p_advanced": 0.9, "advanced": False},
                {"unit": "B", "composite_lo": 0.5, "composite_hi": 1.5, "rank_lo": 1,
                 "rank_hi": 2, "p_advanced": 0.3, "advanced": True}]
    labels = {"A": ("x",), "B": ("y",)}
    out.add(0, observed, truth, labels)
    out.add(1, observed, truth, labels)
    composite = metrics.coverage(out, "composite")
    assert (composite.value, composite.count) == (0.5, 4)
    assert composite.binomial_se == pytest.approx(math.sqrt(0.25 / 4))
    assert composite.replication_se == 0.0
    assert metrics.coverage(out, "composite", "x").value == 1.0
    assert metrics.coverage(out, "rank").value == 1.0
    score, _se, base = metrics.brier(out)
    assert score == pytest.approx((0.1 ** 2 + 0.3 ** 2) / 2)
    assert base == 0.25
    table = {row["bin"]: row for row in metrics.reliability(out)}
    assert table[(0.8, 0.95)]["units"] == 2 and table[(0.8, 0.95)]["observed"] == 1.0
    assert table[(0.2, 0.4)]["observed"] == 0.0
    differs, wrong, expected = metrics.awarded_set(out)
    assert differs.value == 1.0 and wrong == 1.0
    assert expected == pytest.approx(0.7)
