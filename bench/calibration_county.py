"""Simulated counties with a known truth, in the demo county's shape, for the calibration
bench (``bench/bench_calibration.py``, docs/calibration.md).

The units, peer groups and scheme are the demo county's (``services.demo``): 12 townships
in one group, 106 departments in 10 groups, the 2026 scheme with every source. One
replication draws, from its own seed, every unit's *true* values and what the office
*observes* of them over the half-year 2026-H1 (quarters Q1 and Q2):

- poll (townships, H1 only): true satisfaction rate p_t ~ N(0.82, 0.06²) clipped to
  [0.55, 0.98]; a telephone frame of ``poll_frame`` numbers, AAPOR RR3 r_t ~ U(0.08, 0.25),
  completes n_t ~ Bin(frame, r_t); raking to the age × sex margins costs a design
  effect d_t ~ U(1.2, 1.8), so the weighted estimate behaves like a simple random
  sample of n_eff = n_t / d_t: p̂_t = Bin(⌊n_eff⌉, p_t) / ⌊n_eff⌉, reported with the
  survey service's SE √(p̂(1 − p̂) / n_eff) (Agresti–Coull at 0 or 1, as a run reads it);
- inspection: true mean visit score μ_u ~ N(82 + 2 q_u, 6²) clipped to [50, 97] (q_u the
  unit's latent quality); per quarter 1 + Poisson(1.2) visits, each scored
  min(100, N(μ_u, σ_u²)) rounded to 0.5, the unit's visit spread σ_u = 7·exp(N(0, 0.25²))
  points; the truth is the expected visit score E[min(100, X)]; the snapshot carries the
  mean per window and the SE a run derives from mean, sd and n
  (``run_inputs.visit_score_ses``);
- self-checks (monthly, exact in the snapshot): the demo county's generator (targets,
  actual = target × N(1 + 0.04 q, 0.06²), complaints closed, safety incidents,
  investment for townships); a share ``inflator_share`` of units *inflate* their reports
  (actuals × (1 + δ), δ ~ U(0.05, 0.15), complaints closed + 20 δ points, incidents
  reported as 0): the truth is the honest figure;
- discrepancies: each visit checks 1–3 self-reported items; an item is found
  discrepant with probability 0.03 (honest unit) or 0.6 (inflating unit);
- key tasks and shared data: exact (the truth is what is recorded).

The true snapshot holds the true values with no SE and no discrepancy rates; scored
without draws it gives the true composites, ranks and awards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from services.demo.county import TOWNSHIP_GROUP, scheme_document
from services.demo.county_tables import DEPARTMENT_GROUPS, TOWNSHIPS
from services.scoring.run_inputs import usable_se, visit_score_ses

PERIOD = "2026-H1"
QUARTERS = ("2026-Q1", "2026-Q2")
MONTHS = tuple(f"2026-{m:02d}" for m in range(1, 7))
RATIO_FIELDS = ("actual", "target")


@dataclass(frozen=True)
class Design:
    """The simulation's knobs (module docstring); the defaults are the reported design."""

    poll_frame: int = 1500
    response: tuple[float, float] = (0.08, 0.25)
    deff: tuple[float, float] = (1.2, 1.8)
    satisfaction: tuple[float, float] = (0.82, 0.06)
    inspection_mean: float = 82.0
    inspection_unit_sd: float = 6.0
    inspection_visit_sd: float = 7.0
    spread_sd: float = 0.25
    extra_visits: float = 1.2
    inflator_share: float = 0.15
    inflation: tuple[float, float] = (0.05, 0.15)
    discrepancy: tuple[float, float] = (0.03, 0.6)  # honest, inflating
    tasks_per_unit: float = 112 / 118


def units() -> list[dict]:
    """The demo county's units (codes, kinds and peer groups as ``county.generate``)."""
    out = [{"code": f"T{i:02d}", "kind": "township", "peer_group": TOWNSHIP_GROUP}
           for i in range(1, len(TOWNSHIPS) + 1)]
    number = 0
    for group, _zh, _en, departments in DEPARTMENT_GROUPS:
        for _department in departments:
            number += 1
            out.append({"code": f"D{number:03d}", "kind": "department", "peer_group": group})
    return out


@dataclass
class County:
    """One replication: units, the true and the observed snapshot, and the unit facts the
    report breaks coverage down by."""

    units: list[dict]
    truth: dict
    observed: dict
    inflator: dict[str, bool]
    visits: dict[str, int]  # visits over H1


def expected_visit_score(mu: np.ndarray, sd: float, cap: float = 100.0) -> np.ndarray:
    """E[min(cap, X)], X ~ N(mu, sd²): mu − E[(X − cap)⁺]."""
    a = (cap - mu) / sd
    return mu - (sd * norm.pdf(a) - (cap - mu) * norm.sf(a))


def simulate(seed: int, replication: int, design: Design = Design()) -> County:
    """Replication ``replication`` of the calibration county under ``seed``: the same pair
    gives the same county."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, replication]))
    unit_rows = units()
    codes = [u["code"] for u in unit_rows]
    n = len(codes)
    township = np.array([u["kind"] == "township" for u in unit_rows])
    quality = rng.normal(0.0, 1.0, n)
    inflates = rng.random(n) < design.inflator_share
    delta = np.where(inflates, rng.uniform(*design.inflation, n), 0.0)
    true_rows: dict[str, list] = {p: [] for p in (*QUARTERS, PERIOD)}
    seen_rows: dict[str, list] = {p: [] for p in (*QUARTERS, PERIOD)}
    _self_checks(rng, codes, township, quality, delta, true_rows, seen_rows)
    exact = _key_tasks(rng, codes, design) + _direct(rng, codes)
    for period in true_rows:
        true_rows[period] += [r for r in exact if r[0] == period]
        seen_rows[period] += [r for r in exact if r[0] == period]
    mu = np.clip(rng.normal(design.inspection_mean + 2 * quality, design.inspection_unit_sd),
                 50, 97)
    spread = design.inspection_visit_sd * np.exp(rng.normal(0.0, design.spread_sd, n))
    truth_score = expected_visit_score(mu, spread)
    rates, visits = _inspections(rng, codes, (mu, spread), truth_score, inflates, design,
                                 true_rows, seen_rows)
    _poll(rng, codes, township, design, true_rows, seen_rows)
    base = {"kind": "mid-year", "period": PERIOD, "sources": {}, "units": unit_rows,
            "scheme_version": {"id": 0, "scheme": "county-2026", "version": 1,
                               "document": scheme_document()}}
    truth = {**base, "segments": _segments(true_rows, {})}
    observed = {**base, "segments": _segments(seen_rows, rates)}
    return County(unit_rows, truth, observed, dict(zip(codes, inflates.tolist(), strict=True)),
                  visits)


def _segments(rows: dict[str, list], rates: dict[str, dict]) -> list[dict]:
    out = []
    for period in (*QUARTERS, PERIOD):
        body = sorted(([u, i, f, v, se] for _p, u, i, f, v, se in rows[period]),
                      key=lambda r: (r[0], r[1], r[2]))
        out.append({"period": period, "role": "snapshot" if period == PERIOD else "day_to_day",
                    "rows": body, "discrepancy": dict(sorted(rates.get(period, {}).items()))})
    return out


def _periods_of(month_index: int) -> tuple[str, str]:
    return QUARTERS[month_index // 3], PERIOD


def _self_checks(rng, codes, township, quality, delta, true_rows, seen_rows) -> None:
    """Monthly true and reported values; a period's value is the mean of its months
    (a ratio's fields each), as a run reads self-checks."""
    n = len(codes)
    monthly_true: dict[tuple[str, str], np.ndarray] = {}
    monthly_seen: dict[tuple[str, str], np.ndarray] = {}
    factor = 1.0 + delta
    for name, low, high in (("sc_target_completion", 8.0, 9.0),
                            ("sc_budget_execution", 7.5, 8.5),
                            ("sc_investment", 800.0, 3000.0)):
        target = np.round(rng.uniform(low, high, (6, n)), 1)
        actual = np.maximum(0.0, target * rng.normal(1.0 + 0.04 * quality, 0.06, (6, n)))
        monthly_true[(name, "actual")] = actual
        monthly_seen[(name, "actual")] = actual * factor
        monthly_true[(name, "target")] = target
        monthly_seen[(name, "target")] = target
    closed = np.minimum(100.0, rng.normal(96 + 1.5 * quality, 2.0, (6, n)))
    monthly_true[("sc_complaints_closed", "actual")] = closed
    monthly_seen[("sc_complaints_closed", "actual")] = np.minimum(100.0, closed + 20 * delta)
    incidents = np.floor(rng.exponential(1.0 / np.maximum(0.5, 2.5 + quality), (6, n)) + 0.5)
    monthly_true[("sc_safety_incidents", "actual")] = incidents
    monthly_seen[("sc_safety_incidents", "actual")] = np.where(delta > 0, 0.0, incidents)
    for period, months in ((QUARTERS[0], slice(0, 3)), (QUARTERS[1], slice(3, 6)),
                           (PERIOD, slice(0, 6))):
        for (name, fld), values in monthly_true.items():
            ratio = name == "sc_target_completion"
            if not ratio and fld != "actual":
                continue
            seen = monthly_seen[(name, fld)][months].mean(axis=0)
            true = values[months].mean(axis=0)
            for u, code in enumerate(codes):
                if name == "sc_investment" and not township[u]:
                    continue
                field_name = fld if ratio else ""
                true_rows[period].append([period, code, name, field_name, float(true[u]), None])
                seen_rows[period].append([period, code, name, field_name, float(seen[u]), None])


def _key_tasks(rng, codes, design: Design) -> list[list]:
    """Exact on-time rates and progress lags of each unit's tasks (units without a task
    have none), per quarter and for H1."""
    tasks = rng.poisson(design.tasks_per_unit, len(codes))
    out = []
    for u, code in enumerate(codes):
        if tasks[u] == 0:
            continue
        reliability = rng.uniform(0.6, 0.98, tasks[u])
        on_time = rng.random((6, tasks[u])) < reliability
        lag = np.where(on_time, 0.0, rng.uniform(3, 12, (6, tasks[u])))
        for period, months in ((QUARTERS[0], slice(0, 3)), (QUARTERS[1], slice(3, 6)),
                               (PERIOD, slice(0, 6))):
            out.append([period, code, "kt_on_time", "", float(on_time[months].mean()), None])
            out.append([period, code, "kt_lag", "", float(lag[months][-1].mean()), None])
    return out


def _direct(rng, codes) -> list[list]:
    n = len(codes)
    env = rng.uniform(70, 95, n) + rng.normal(0, 2, (6, n))
    petitions = np.maximum(0.0, rng.uniform(2, 15, n) + rng.normal(0, 1.5, (6, n)))
    out = []
    for period, months in ((QUARTERS[0], slice(0, 3)), (QUARTERS[1], slice(3, 6)),
                           (PERIOD, slice(0, 6))):
        for name, values in (("dir_env_quality", env), ("dir_petitions", petitions)):
            mean = values[months].mean(axis=0)
            out += [[period, code, name, "", float(mean[u]), None] for u, code in enumerate(codes)]
    return out


def _inspections(rng, codes, unit_scores, truth_score, inflates, design, true_rows, seen_rows):
    """Visit scores per quarter; each window's mean, sd and n as the inspection service
    reports them, read into value and SE as a run does; discrepancy rates per window."""
    scores: dict[str, list[list[float]]] = {q: [] for q in QUARTERS}
    checks: dict[str, list[tuple[int, int]]] = {q: [] for q in QUARTERS}
    mu, spread = unit_scores
    p_disc = np.where(inflates, design.discrepancy[1], design.discrepancy[0])
    for quarter in QUARTERS:
        count = 1 + rng.poisson(design.extra_visits, len(codes))
        for u in range(len(codes)):
            raw = rng.normal(mu[u], spread[u], count[u])
            scores[quarter].append(list(np.round(np.minimum(100.0, raw) * 2) / 2))
            items = int(rng.integers(1, 4, count[u]).sum())
            checks[quarter].append((items, int(rng.binomial(items, p_disc[u]))))
    rates: dict[str, dict] = {}
    windows = {QUARTERS[0]: (QUARTERS[0],), QUARTERS[1]: (QUARTERS[1],), PERIOD: QUARTERS}
    visits = {}
    for period, quarters in windows.items():
        summary = []
        for u, code in enumerate(codes):
            values = [s for q in quarters for s in scores[q][u]]
            sd = float(np.std(values, ddof=1)) if len(values) >= 2 else None
            summary.append({"unit": code, "mean": float(np.mean(values)), "n": len(values),
                            "sd": sd})
            if period == PERIOD:
                visits[code] = len(values)
        ses = visit_score_ses(summary)
        rates[period] = {}
        for u, row in enumerate(summary):
            se = ses[u]
            seen_rows[period].append([period, row["unit"], "inspection_score", "", row["mean"], se])
            true_rows[period].append([period, row["unit"], "inspection_score", "",
                                      float(truth_score[u]), None])
            items = sum(checks[q][u][0] for q in quarters)
            found = sum(checks[q][u][1] for q in quarters)
            rates[period][row["unit"]] = found / items
    return rates, visits


def _poll(rng, codes, township, design, true_rows, seen_rows) -> None:
    """The H1 telephone poll of the townships (module docstring)."""
    for u in np.flatnonzero(township):
        p = float(np.clip(rng.normal(*design.satisfaction), 0.55, 0.98))
        completes = int(rng.binomial(design.poll_frame, rng.uniform(*design.response)))
        n_eff = completes / rng.uniform(*design.deff)
        size = max(1, round(n_eff))
        estimate = float(rng.binomial(size, p) / size)
        se = usable_se({"estimate": estimate, "n_eff": n_eff,
                        "se": math.sqrt(estimate * (1 - estimate) / n_eff)},
                       "satisfaction_rate")
        seen_rows[PERIOD].append([PERIOD, codes[u], "poll_satisfaction", "", estimate, se])
        true_rows[PERIOD].append([PERIOD, codes[u], "poll_satisfaction", "", p, None])
