"""Time township estimates with raking: simulated polls, median of several runs.

Each case: T townships × n respondents, 20 rating questions (codes 1–5, 98 don't know,
99 refused), base weights N_h / n_h, design strata = townships with fpc, every township
raked to its own sex × age-group (joint, 10 cells) and education (4 cells) margins,
then per township and question: satisfaction rate (codes 4–5 over valid answers) with
its linearised SE, Kish n_eff and Wilson interval, and the mean rating.

Baseline in the same run: the same rates as plain weighted proportions without SEs
(np.bincount only), i.e. the floor any method pays to read the data.

    .venv/bin/python bench/bench_estimates.py [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, datetime

import numpy as np

from services.survey.estimation import (
    Margin,
    SurveyDesign,
    base_weights,
    domain_estimates,
    rake,
    satisfaction_rates,
)

QUESTIONS = 20
SEXES = np.array(["F", "M"])
AGES = np.array(["18-29", "30-44", "45-59", "60-74", "75+"])
EDUCATION = np.array(["primary", "middle", "high", "college"])


def simulate(townships: int, per_township: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    n = townships * per_township
    town = np.repeat(np.array([f"T{t:04d}" for t in range(townships)]), per_township)
    sex = SEXES[(rng.random(n) < 0.42).astype(int)]
    age = AGES[rng.choice(5, n, p=[0.1, 0.15, 0.25, 0.3, 0.2])]
    edu = EDUCATION[rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1])]
    answers = rng.choice([1, 2, 3, 4, 5, 98, 99], (n, QUESTIONS),
                         p=[0.08, 0.12, 0.25, 0.3, 0.2, 0.03, 0.02])
    sizes = rng.integers(20_000, 120_000, townships)
    pop = {f"T{t:04d}": int(s) for t, s in enumerate(sizes)}
    age_share = np.array([0.2, 0.25, 0.25, 0.2, 0.1])
    edu_share = np.array([0.25, 0.35, 0.25, 0.15])
    sex_age, education = {}, {}
    for code, size in pop.items():
        for i, s in enumerate(SEXES):
            for j, a in enumerate(AGES):
                sex_age[(code, str(s), str(a))] = size * (0.5 if i == 0 else 0.5) * age_share[j]
        for j, e in enumerate(EDUCATION):
            education[(code, str(e))] = size * edu_share[j]
    return town, sex, age, edu, answers, pop, sex_age, education


def estimate(data) -> int:
    town, sex, age, edu, answers, pop, sex_age, education = data
    weights = base_weights(town, pop)
    design = SurveyDesign(weights, strata=town, population_psus=pop)
    raked = rake(design, [Margin("sex x age", [town, sex, age], sex_age),
                          Margin("education", [town, edu], education)], tol=1e-8)
    rates = satisfaction_rates(raked.design, answers, {4, 5}, {98, 99}, by=town)
    ratings = np.where(answers >= 98, np.nan, answers).astype(float)
    means = domain_estimates(raked.design, ratings, town)
    assert raked.converged and np.all(np.isfinite(rates.se)) and np.all(np.isfinite(means.se))
    return raked.iterations


def baseline(data) -> None:
    town, _, _, _, answers, pop, _, _ = data
    weights = base_weights(town, pop)
    codes = np.unique(town, return_inverse=True)[1]
    for j in range(answers.shape[1]):
        valid = answers[:, j] < 98
        sat = (answers[:, j] >= 4) & valid
        np.bincount(codes, weights * sat) / np.bincount(codes, weights * valid)


def median_time(fn, data, runs: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of ``runs`` calls (CPU time is the
    steadier figure on a machine shared with other jobs)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(data)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small cases only")
    args = parser.parse_args()
    cases = [(12, 2000, 1.0), (2000, 400, 10.0)]
    if args.quick:
        cases = [(12, 200, 1.0), (100, 300, 10.0)]
    print(f"bench_estimates  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
          f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}"
          f"  numpy {np.__version__}")
    for townships, per, target in cases:
        data = simulate(townships, per)
        iterations = estimate(data)
        est, est_cpu = median_time(estimate, data, args.runs)
        base, base_cpu = median_time(baseline, data, args.runs)
        print(f"{townships:>5} townships x {per:>5} respondents x {QUESTIONS} questions: "
              f"estimates with raking {est:6.3f} s wall, {est_cpu:6.3f} s CPU "
              f"(target < {target:g} s, {'ok' if est < target else 'SLOW'}; "
              f"{iterations} IPF cycles); baseline weighted rates without SEs "
              f"{base:6.3f} s wall, {base_cpu:6.3f} s CPU  [median of {args.runs}]")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")

if __name__ == "__main__":
    main()
