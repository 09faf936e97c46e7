"""Scoring engine benchmark: time and peak memory of ``compute`` with Monte Carlo draws.

Cases (issue 7): 106 units × 30 indicators × 2,000 draws (target < 0.5 s) and
100,000 units × 30 indicators × 1,000 draws (target < 30 s, < 4 GB). The scheme has
5 dimensions × 6 indicators, T-scores within peer groups, arithmetic and geometric
dimensions. Per dimension one poll and one inspection indicator carry a standard
error (10 of 30: they are drawn), the self-check, key-task and direct ones are exact.
Baselines in the same run: the point computation without draws, and drawing the same
number of normal variates alone. Wall and CPU (process) time are printed — on a shared
machine the gap shows the contention. Peak memory is traced (tracemalloc, which sees
NumPy's buffers) in one extra run.

    .venv/bin/python bench/bench_engine.py [--quick] [--runs-large N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.scoring.engine import Table, compute, from_document  # noqa: E402
from services.scoring.engine.monte_carlo import BLOCK_DRAWS, standard_normals  # noqa: E402

SOURCES = ("poll", "inspection", "self_check", "self_check", "key_task", "direct")
NOISY = ("poll", "inspection")


def scheme_document() -> dict:
    dims = []
    for d in range(5):
        children = [
            {
                "id": f"D{d}I{i}",
                "source": SOURCES[i],
                "direction": "lower" if i == 5 else "higher",
                "unit_of_measure": "",
                "weight": 1 / 6,
                "normalisation": {"method": "tscore"},
            }
            for i in range(6)
        ]
        dims.append(
            {
                "id": f"D{d}",
                "weight": 0.2,
                "aggregation": "geometric" if d % 2 else "arithmetic",
                "weighting": {"method": "expert"},
                "children": children,
            }
        )
    return {
        "missing": "reweight",
        "root": {"id": "total", "aggregation": "arithmetic", "children": dims},
    }


def table(n_units: int, n_groups: int, seed: int = 7) -> Table:
    rng = np.random.default_rng(seed)
    ids = [f"D{d}I{i}" for d in range(5) for i in range(6)]
    values = rng.normal(70, 8, (n_units, 30))
    noisy = np.array([SOURCES[j % 6] in NOISY for j in range(30)])
    se = np.where(noisy[None, :], rng.uniform(1, 4, (n_units, 30)), np.nan)
    units = [f"U{i:06d}" for i in range(n_units)]
    groups = [f"G{i % n_groups:03d}" for i in range(n_units)]
    return Table(units, groups, ids, values, se)


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def case(name: str, n_units: int, n_groups: int, draws: int, runs: int, target_s: float) -> None:
    scheme = from_document(scheme_document())
    tab = table(n_units, n_groups)
    noisy = int(np.sum(~np.isnan(tab.se)))

    def run():
        return compute(scheme, tab, seed=1, draws=draws, advanced_share=0.2)

    def point():
        return compute(scheme, tab, seed=1, draws=0, advanced_share=0.2)

    def normals_alone():
        buf = np.empty((BLOCK_DRAWS, noisy), dtype=np.float32)
        for stream in np.random.SeedSequence(1).spawn(-(-draws // BLOCK_DRAWS)):
            standard_normals(stream, buf)

    wall, cpu = timed(run, runs)
    point_wall, _ = timed(point, max(1, min(runs, 3)))
    rng_wall, _ = timed(normals_alone, max(1, min(runs, 3)))
    peak = peak_mb(run)
    med = statistics.median(wall)
    verdict = "OK" if med < target_s else "OVER TARGET"
    shape = f"{n_units:,} units x 30 indicators x {draws:,} draws"
    print(f"{name}: {shape}, {n_groups} groups, {runs} runs")
    print(
        f"  engine wall median {med:.3f} s (min {min(wall):.3f}, max {max(wall):.3f}); "
        f"CPU median {statistics.median(cpu):.3f} s; target < {target_s} s: {verdict}"
    )
    print(
        f"  baselines: point only (no draws) {statistics.median(point_wall):.3f} s; "
        f"drawing the {noisy * draws:,} normals alone {statistics.median(rng_wall):.3f} s"
    )
    print(f"  peak traced memory {peak:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small case only")
    parser.add_argument("--runs-large", type=int, default=3, help="runs of the large case (3)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"bench_engine {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load {load:.1f}, numpy {np.__version__}, "
        f"Python {platform.python_version()}"
    )
    case("small", 106, 10, 2000, runs=7, target_s=0.5)
    if not args.quick:
        case("large", 100_000, 100, 1000, runs=args.runs_large, target_s=30.0)


if __name__ == "__main__":
    main()
