"""What ``compute`` returns: per-unit arrays, the method record and the Monte Carlo
summary, with the flat (CSV) and JSON forms of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Uncertainty:
    draws: int
    seed: int
    level: float
    top_k: int
    composite_mean: np.ndarray
    composite_lo: np.ndarray
    composite_hi: np.ndarray
    rank_lo: np.ndarray
    rank_hi: np.ndarray
    p_top_k: np.ndarray
    p_advanced: np.ndarray | None
    near_cutoff: np.ndarray | None


@dataclass
class Result:
    """Per-unit arrays in the table's unit order; ``indicators``/``nodes`` name columns."""

    units: list[str]
    groups: list[str]
    indicators: list[str]
    nodes: list[str]
    values: np.ndarray  # (N, K) values used: after ratio, shrinkage and imputation
    normalised: np.ndarray  # (N, K) after direction, normalisation and credibility
    contributions: np.ndarray  # (N, K) sum over K = composite
    node_scores: dict[str, np.ndarray]
    composite: np.ndarray
    rank: np.ndarray
    group_size: np.ndarray
    seats: dict[str, int] | None
    advanced: np.ndarray | None
    missing: list[list[dict]]
    credibility: np.ndarray | None
    weights: dict[str, dict[str, float]]
    ahp: dict[str, dict]
    fay_herriot: dict[str, dict]
    uncertainty: Uncertainty | None
    sensitivity: dict | None
    method: dict = field(default_factory=dict)

    def rows(self) -> list[dict]:
        """One flat record per unit (for CSV), groups together, best first."""
        out = []
        for i in np.lexsort((self.rank, np.array(self.groups))):
            row = {
                "unit": self.units[i],
                "group": self.groups[i],
                "composite": number(self.composite[i]),
                "rank": int(self.rank[i]),
                "group_size": int(self.group_size[i]),
            }
            u = self.uncertainty
            if u is not None:
                row.update(
                    {
                        "composite_mean": number(u.composite_mean[i]),
                        "composite_lo": number(u.composite_lo[i]),
                        "composite_hi": number(u.composite_hi[i]),
                        "rank_lo": int(u.rank_lo[i]),
                        "rank_hi": int(u.rank_hi[i]),
                        f"p_top_{u.top_k}": number(u.p_top_k[i]),
                    }
                )
                if u.p_advanced is not None:
                    row["p_advanced"] = number(u.p_advanced[i])
                    row["near_cutoff"] = bool(u.near_cutoff[i])
            if self.advanced is not None:
                row["advanced"] = bool(self.advanced[i])
            for node, scores in self.node_scores.items():
                row[f"score:{node}"] = number(scores[i])
            for j, ind in enumerate(self.indicators):
                row[f"value:{ind}"] = number(self.values[i, j])
                row[f"normalised:{ind}"] = number(self.normalised[i, j])
                row[f"contribution:{ind}"] = number(self.contributions[i, j])
            row["missing"] = "; ".join(f"{a['indicator']} {a['action']}" for a in self.missing[i])
            out.append(row)
        return out

    def to_dict(self) -> dict:
        """JSON-ready: the method record, weights, fits and one object per unit."""
        fh = {
            k: {**v, "gamma": numbers(v["gamma"]), "mse": numbers(v["mse"])}
            for k, v in self.fay_herriot.items()
        }
        units = []
        for row, i in zip(self.rows(), np.lexsort((self.rank, np.array(self.groups))), strict=True):
            row = {k: v for k, v in row.items() if ":" not in k and k != "missing"}
            row["indicators"] = {
                ind: {
                    "value": number(self.values[i, j]),
                    "normalised": number(self.normalised[i, j]),
                    "contribution": number(self.contributions[i, j]),
                }
                for j, ind in enumerate(self.indicators)
            }
            row["nodes"] = {n: number(s[i]) for n, s in self.node_scores.items()}
            row["missing"] = self.missing[i]
            if self.credibility is not None:
                row["credibility"] = number(self.credibility[i])
            units.append(row)
        return {
            "method": self.method,
            "weights": self.weights,
            "ahp": self.ahp,
            "fay_herriot": fh,
            "seats": self.seats,
            "sensitivity": self.sensitivity,
            "units": units,
        }


def number(v) -> float | None:
    """A float, None for NaN (JSON has no NaN)."""
    v = float(v)
    return None if np.isnan(v) else v


def numbers(a) -> list:
    return [number(v) for v in a]
