"""Benchmark: raking 100,000 respondents to 3 margins (3, 2 and 4 categories).

The respondents carry string labels as a poll's answers do (age group, sex,
education), unequal base weights, and population margins that differ from the sample
(so IPF has work to do). Times ``services.survey.estimation.rake`` (labels to codes,
checks, IPF, the calibration the SEs need) and, on the same data in the same run, a
plain NumPy IPF (integer codes given, ``np.bincount`` per margin and cycle, no checks,
no calibration): the floor of raking per respondent. Checks that both give the same
weights (relative difference printed). Median of ``--runs`` runs, wall and CPU.

    .venv/bin/python bench/bench_raking.py [--n 100000] [--runs 7]

Target (issue 18): <= 50 ms median for ``rake``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.survey.estimation import Margin, SurveyDesign, rake  # noqa: E402

AGES = np.array(["18-39", "40-59", "60+"])
SEXES = np.array(["F", "M"])
EDUCATION = np.array(["primary", "middle", "high", "college"])
TOL = 1e-10


def simulate(n: int, seed: int = 18):
    rng = np.random.default_rng(seed)
    age_code = rng.choice(3, n, p=[0.25, 0.35, 0.40])
    sex_code = (rng.random(n) < 0.45).astype(np.int64)
    edu_code = rng.choice(4, n, p=[0.40, 0.30, 0.20, 0.10])
    weights = rng.uniform(50.0, 150.0, n)
    population = 1_000_000.0
    targets = [np.array([0.35, 0.35, 0.30]) * population, np.array([0.5, 0.5]) * population,
               np.array([0.30, 0.35, 0.22, 0.13]) * population]
    return {"codes": [age_code, sex_code, edu_code], "weights": weights, "targets": targets,
            "labels": [AGES[age_code], SEXES[sex_code], EDUCATION[edu_code]]}


def kaoping_rake(data) -> np.ndarray:
    design = SurveyDesign(data["weights"])
    margins = [Margin(name, labels, dict(zip(names.tolist(), targets.tolist(), strict=True)))
               for name, labels, names, targets in zip(
                   ("age", "sex", "education"), data["labels"], (AGES, SEXES, EDUCATION),
                   data["targets"], strict=True)]
    result = rake(design, margins, tol=TOL)
    assert result.converged
    return result.weights


def numpy_ipf(data) -> np.ndarray:
    """Textbook IPF on integer codes: per cycle and margin one bincount and one gather."""
    w = data["weights"].copy()
    pairs = list(zip(data["codes"], data["targets"], strict=True))
    for _ in range(100):
        for codes, targets in pairs:
            w *= (targets / np.bincount(codes, w, minlength=targets.size))[codes]
        err = max(float(np.max(np.abs(np.bincount(c, w, minlength=t.size) - t) / t))
                  for c, t in pairs)
        if err <= TOL:
            return w
    raise AssertionError("numpy IPF did not converge")


def median_time(fn, data, runs: int) -> tuple[float, float, np.ndarray]:
    wall, cpu = [], []
    out = fn(data)  # warm-up
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn(data)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"bench_raking  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {os.cpu_count()} CPUs  "
          f"{platform.machine()} python {platform.python_version()} numpy {np.__version__}  "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    data = simulate(args.n)
    ours, ours_cpu, w_ours = median_time(kaoping_rake, data, args.runs)
    plain, plain_cpu, w_plain = median_time(numpy_ipf, data, args.runs)
    diff = float(np.max(np.abs(w_ours - w_plain) / w_plain))
    print(f"{args.n:,} respondents, 3 margins (3, 2, 4 categories), tol {TOL:g}:")
    print(f"  kaoping rake:     median {1000 * ours:7.1f} ms wall, {1000 * ours_cpu:7.1f} ms CPU "
          f"[target <= 50 ms: {'met' if ours <= 0.05 else 'NOT met'}]")
    print(f"  plain NumPy IPF:  median {1000 * plain:7.1f} ms wall, {1000 * plain_cpu:7.1f} ms CPU "
          f"(same data, same run)")
    print(f"  largest relative weight difference {diff:.1e}  [median of {args.runs} runs]")


if __name__ == "__main__":
    main()
