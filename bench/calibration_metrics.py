"""Calibration figures from per-unit outcomes of many replications (docs/calibration.md).

Each outcome is one unit in one replication: whether its 90 % composite interval and its
rank interval hold the truth, its P(advanced) and whether it truly is among its group's
advanced seats. A coverage is a share of outcomes; its Monte-Carlo error is given two
ways: the binomial SE √(p(1 − p)/N) that treats every outcome as independent, and the
replication (cluster) SE — the SD of the per-replication shares over √R — which allows for
units of one county sharing a draw of the data (the figure to judge "within target" by).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

RELIABILITY_BINS = (0.0, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0)


@dataclass
class Outcomes:
    """Per-unit outcomes, appended replication by replication."""

    replication: list[int] = field(default_factory=list)
    composite_covered: list[bool] = field(default_factory=list)
    rank_covered: list[bool] = field(default_factory=list)
    p_advanced: list[float] = field(default_factory=list)
    truly_advanced: list[bool] = field(default_factory=list)
    width: list[float] = field(default_factory=list)
    labels: list[tuple[str, ...]] = field(default_factory=list)
    set_differs: list[bool] = field(default_factory=list)  # per replication
    wrongly_awarded: list[int] = field(default_factory=list)  # per replication
    expected_wrong: list[float] = field(default_factory=list)  # Σ (1 − P) over the awarded

    def add(self, replication: int, observed: list[dict], truth: list[dict],
            labels: dict[str, tuple[str, ...]]) -> None:
        """One replication: the run's rows and the true rows (both by unit code)."""
        true_of = {r["unit"]: r for r in truth}
        awarded, deserved, expected = set(), set(), 0.0
        for row in observed:
            t = true_of[row["unit"]]
            self.replication.append(replication)
            self.composite_covered.append(
                row["composite_lo"] <= t["composite"] <= row["composite_hi"])
            self.rank_covered.append(row["rank_lo"] <= t["rank"] <= row["rank_hi"])
            self.p_advanced.append(row["p_advanced"])
            self.truly_advanced.append(bool(t["advanced"]))
            self.width.append(row["composite_hi"] - row["composite_lo"])
            self.labels.append(labels[row["unit"]])
            if row["advanced"]:
                awarded.add(row["unit"])
                expected += 1.0 - row["p_advanced"]
            if t["advanced"]:
                deserved.add(row["unit"])
        self.set_differs.append(awarded != deserved)
        self.wrongly_awarded.append(len(awarded - deserved))
        self.expected_wrong.append(expected)


@dataclass(frozen=True)
class Share:
    """A share with its outcome count, binomial SE and replication SE."""

    value: float
    count: int
    binomial_se: float
    replication_se: float

    def text(self) -> str:
        if not self.count:
            return "  —     (no units)"
        return (f"{100 * self.value:5.1f} %  ± {100 * self.replication_se:4.1f} "
                f"(binomial ± {100 * self.binomial_se:3.1f}; n = {self.count})")


def share(hits: np.ndarray, replication: np.ndarray) -> Share:
    """The share of true ``hits`` and its two SEs (module docstring)."""
    hits = np.asarray(hits, dtype=float)
    if hits.size == 0:
        return Share(math.nan, 0, math.nan, math.nan)
    p = float(hits.mean())
    reps = np.unique(replication)
    per = np.array([hits[replication == r].mean() for r in reps])
    rep_se = float(per.std(ddof=1) / math.sqrt(len(reps))) if len(reps) > 1 else math.nan
    return Share(p, int(hits.size), math.sqrt(p * (1 - p) / hits.size), rep_se)


def coverage(out: Outcomes, kind: str, label: str | None = None) -> Share:
    """Coverage of the composite (``kind`` "composite") or rank intervals, of all units or
    those carrying ``label``."""
    hits = np.array(out.composite_covered if kind == "composite" else out.rank_covered)
    reps = np.array(out.replication)
    if label is not None:
        keep = np.array([label in labels for labels in out.labels], dtype=bool)
        hits, reps = hits[keep], reps[keep]
    return share(hits, reps)


def brier(out: Outcomes) -> tuple[float, float, float]:
    """Brier score of P(advanced), its replication SE, and the Brier score of the
    no-skill forecast (every unit at the overall share of advanced units)."""
    p, y = np.array(out.p_advanced), np.array(out.truly_advanced, dtype=float)
    reps = np.array(out.replication)
    loss = (p - y) ** 2
    per = np.array([loss[reps == r].mean() for r in np.unique(reps)])
    se = float(per.std(ddof=1) / math.sqrt(len(per))) if len(per) > 1 else math.nan
    base = float(np.mean((y.mean() - y) ** 2))
    return float(loss.mean()), se, base


def reliability(out: Outcomes) -> list[dict]:
    """Per bin of P(advanced): units, mean P, observed share truly advanced and its
    binomial SE."""
    p, y = np.array(out.p_advanced), np.array(out.truly_advanced, dtype=float)
    rows = []
    edges = RELIABILITY_BINS
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        keep = (p >= low) & ((p < high) if high < 1 else (p <= high))
        n = int(keep.sum())
        freq = float(y[keep].mean()) if n else math.nan
        rows.append({"bin": (low, high), "units": n,
                     "mean_p": float(p[keep].mean()) if n else math.nan, "observed": freq,
                     "se": math.sqrt(freq * (1 - freq) / n) if n else math.nan})
    return rows


def awarded_set(out: Outcomes) -> tuple[Share, float, float]:
    """Share of replications whose awarded set differs from the true one (binomial SE
    over replications), the mean number of units awarded who should not be, and that
    number as P(advanced) expects it, Σ (1 − P) over the awarded units."""
    differs = np.array(out.set_differs, dtype=float)
    reps = np.arange(differs.size)
    return (share(differs, reps), float(np.mean(out.wrongly_awarded)),
            float(np.mean(out.expected_wrong)))
