"""Calibration of the 90 % composite and rank intervals and of P(advanced) (issue 18 item 4).

Simulates counties with a known truth in the demo county's shape
(``bench/calibration_county.py``), scores each with the same in-process path a real run
uses (``services.scoring.assessment.compute_snapshot``: a mid-year run, two quarters
blended with the half-year snapshot, 20 % advanced seats), and compares with the truth:
the true snapshot scored without draws under the same policy. Two method settings:

- ``plain``: no shrinkage, no credibility discount;
- ``demo``: Fay–Herriot REML for the poll and the credibility discount (weight mode,
  slope 1) as ``make demo``'s mid-year run — the truth then carries the same discount
  (a stated policy, computed from the observed discrepancy rates), not the shrinkage.

Prints coverage of the composite and rank intervals (overall, by unit kind, honest or
inflating self-checks), the Brier score and a reliability table of P(advanced), and how
often the awarded set differs from the true one, each with its Monte-Carlo error. The
figures go to stdout and depend only on the seed and the options; timing and machine go
to stderr.

    .venv/bin/python bench/bench_calibration.py [--quick] [--replications R] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import calibration_metrics as metrics  # noqa: E402
from bench.calibration_county import Design, simulate  # noqa: E402
from services.scoring.assessment import compute_snapshot  # noqa: E402

SETTINGS = {
    "plain": {"fay_herriot": None, "credibility": None},
    "demo": {"fay_herriot": "REML", "credibility": {"mode": "weight", "slope": 1.0}},
}
ADVANCED = {"share": 0.2}
LABELS = ("township", "department", "honest", "inflating", "one visit each quarter")


def run(seed: int, replications: int, draws: int, settings: list[str],
        design: Design = Design()) -> dict[str, metrics.Outcomes]:
    """Outcomes per method setting over ``replications`` simulated counties."""
    outcomes = {name: metrics.Outcomes() for name in settings}
    for rep in range(replications):
        county = simulate(seed, rep, design)
        labels = _labels(county)
        for name in settings:
            setting = SETTINGS[name]
            options = {"seed": seed * 1000 + rep, "draws": draws, "level": 0.9,
                       "advanced": ADVANCED, **setting}
            observed = compute_snapshot(county.observed, options).rows
            truth_snapshot = county.truth
            if setting["credibility"]:
                truth_snapshot = _with_rates(county.truth, county.observed)
            truth = compute_snapshot(truth_snapshot, {
                "seed": 0, "draws": 0, "advanced": ADVANCED,
                "credibility": setting["credibility"]}).rows
            outcomes[name].add(rep, observed, truth, labels)
    return outcomes


def _labels(county) -> dict[str, tuple[str, ...]]:
    out = {}
    for unit in county.units:
        code = unit["code"]
        labels = [unit["kind"], "inflating" if county.inflator[code] else "honest"]
        if county.visits[code] <= 2:
            labels.append("one visit each quarter")
        out[code] = tuple(labels)
    return out


def _with_rates(truth: dict, observed: dict) -> dict:
    """The true snapshot with the observed discrepancy rates (the discount is policy)."""
    rates = {s["period"]: s["discrepancy"] for s in observed["segments"]}
    return {**truth, "segments": [{**s, "discrepancy": rates[s["period"]]}
                                  for s in truth["segments"]]}


def report(outcomes: dict[str, metrics.Outcomes], seed: int, replications: int,
           draws: int, design: Design = Design()) -> str:
    lines = [f"calibration: seed {seed}, {replications} replications, {draws} draws, "
             "mid-year run 2026-H1 of the demo county's 118 units, 90 % intervals, "
             "20 % advanced seats; target coverage 88-92 %",
             f"design: {design.inflator_share:.0%} of units inflate their self-checks, "
             f"1 + Poisson({design.extra_visits:g}) visits per unit and quarter",
             "± replication SE (the one to judge by); binomial SE treats units as independent"]
    for name, out in outcomes.items():
        lines += ["", f"== setting {name}: {SETTINGS[name]}"]
        for kind in ("composite", "rank"):
            lines.append(f"{kind} interval coverage, all units: "
                         f"{metrics.coverage(out, kind).text()}")
            for label in LABELS:
                lines.append(f"  {label:<22} {metrics.coverage(out, kind, label).text()}")
        score, se, base = metrics.brier(out)
        lines.append(f"Brier score of P(advanced): {score:.4f} ± {se:.4f} "
                     f"(no-skill forecast {base:.4f}; skill {1 - score / base:.2f})")
        lines.append("reliability of P(advanced):    bin        units   mean P   truly advanced")
        for row in metrics.reliability(out):
            low, high = row["bin"]
            if row["units"]:
                lines.append(f"  [{low:4.2f}, {high:4.2f}{']' if high == 1 else ')'} "
                             f"{row['units']:12d}   {row['mean_p']:.3f}    "
                             f"{row['observed']:.3f} ± {row['se']:.3f}")
            else:
                lines.append(f"  [{low:4.2f}, {high:4.2f}{']' if high == 1 else ')'} "
                             f"{0:12d}")
        differs, wrong, expected = metrics.awarded_set(out)
        lines.append(f"awarded set differs from the true one: {differs.text()} of replications")
        lines.append(f"units per county awarded who are not truly in the top seats: {wrong:.2f}"
                     f" (P(advanced) expects {expected:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--draws", type=int, default=None)
    parser.add_argument("--settings", default="plain,demo")
    parser.add_argument("--quick", action="store_true", help="10 replications, 500 draws")
    parser.add_argument("--inflator-share", type=float, default=Design.inflator_share,
                        help="share of units inflating their self-checks (0: none)")
    parser.add_argument("--extra-visits", type=float, default=Design.extra_visits,
                        help="mean visits per unit and quarter beyond the first")
    args = parser.parse_args(argv)
    design = Design(inflator_share=args.inflator_share, extra_visits=args.extra_visits)
    replications = args.replications or (10 if args.quick else 100)
    draws = args.draws or (500 if args.quick else 2000)
    settings = [s for s in args.settings.split(",") if s]
    started, cpu = time.perf_counter(), time.process_time()
    text = report(run(args.seed, replications, draws, settings, design), args.seed,
                  replications, draws, design)
    print(text)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {platform.system()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"wall {time.perf_counter() - started:.1f} s, cpu {time.process_time() - cpu:.1f} s",
          file=sys.stderr)
    return text


if __name__ == "__main__":
    main()
