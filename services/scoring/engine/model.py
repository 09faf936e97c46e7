"""A scheme bound to a table: everything fixed before the first draw.

:class:`Model` sorts units by (group, unit code), applies ratio transforms, Fay–Herriot
shrinkage and the missing-data policy to the point values, fixes every node's weights
(data-driven ones from the point scores) and evaluates the whole pipeline on a stack
of value matrices (draws × units × indicators) at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from services.scoring.engine import fay_herriot, normalise, weights
from services.scoring.engine.credibility import CredibilityRule
from services.scoring.engine.errors import EngineError
from services.scoring.engine.scheme import Indicator, Node, Normalisation, Scheme
from services.scoring.engine.table import Table

LOG_FLOOR = 1e-12


@dataclass(frozen=True)
class Options:
    """Method options of one computation (the scheme's ``engine`` object supplies defaults).

    ``normalisation``/``weighting`` replace every indicator's/node's method (used by the
    sensitivity mode); ``fay_herriot`` shrinks every ``poll`` indicator that has SEs.
    """

    draws: int = 0
    seed: int = 0
    level: float = 0.9
    top_k: int = 3
    advanced_seats: int | None = None
    advanced_share: float | None = None
    fay_herriot: str | None = None
    credibility: dict | None = None
    geometric_floor: float = 0.01
    normalisation: str | None = None
    weighting: str | None = None
    sensitivity: bool = False
    near_cutoff: tuple[float, float] = (0.2, 0.8)
    memory_budget_mb: int = 256

    @classmethod
    def build(cls, scheme_options: dict | None = None, **given) -> Options:
        merged: dict = {}
        for source in (scheme_options or {}, {k: v for k, v in given.items() if v is not None}):
            for key, value in source.items():
                if key == "advanced" and isinstance(value, dict):
                    merged["advanced_seats"] = value.get("seats", merged.get("advanced_seats"))
                    merged["advanced_share"] = value.get("share", merged.get("advanced_share"))
                elif key in cls.__dataclass_fields__:
                    merged[key] = value
                else:
                    raise EngineError(f"unknown engine option {key!r}", {"options": [key]})
        if "near_cutoff" in merged:
            merged["near_cutoff"] = tuple(merged["near_cutoff"])
        opts = cls(**merged)
        if opts.draws < 0 or not 0 < opts.level < 1 or opts.top_k < 1:
            raise EngineError("bad options", {"options": ["draws ≥ 0, 0 < level < 1, top_k ≥ 1"]})
        return opts


@dataclass
class MissingRecord:
    """What the missing-data policy did, per unit (sorted order until reported)."""

    actions: list[list[dict]] = field(default_factory=list)


class Model:
    def __init__(self, scheme: Scheme, table: Table, options: Options):
        table.validate()
        self.scheme, self.options = scheme, options
        self.indicators: list[Indicator] = scheme.indicators
        ids = [i.id for i in self.indicators]
        col_of = {c: j for j, c in enumerate(table.indicators)}
        absent = [i for i in ids if i not in col_of]
        self.order = np.lexsort(
            (
                np.array(table.units, dtype=object).astype(str),
                np.array(table.groups, dtype=object).astype(str),
            )
        )
        self.units = [table.units[i] for i in self.order]
        self.groups = [table.groups[i] for i in self.order]
        self.group_codes = sorted(set(self.groups))
        self.segments = _segments(self.groups, self.group_codes)
        self.group_index = np.repeat(
            np.arange(len(self.segments)), [s.stop - s.start for s in self.segments]
        )
        n, k = len(self.units), len(ids)
        self.col = {c: j for j, c in enumerate(ids)}
        self.x_input = np.full((n, k), np.nan)
        se = np.full((n, k), np.nan)
        for c, j in self.col.items():
            if c in col_of:
                self.x_input[:, j] = table.values[self.order, col_of[c]]
                se[:, j] = table.se[self.order, col_of[c]]
        self.record: dict = {"absent_indicators": absent}
        self._ratios(table)
        self.excluded = self._excluded()
        self.x0 = np.where(self.excluded, np.nan, self.x_input)
        self.se0 = np.where(self.excluded | ~(se > 0), np.nan, se)
        self.fay_herriot = self._shrink()
        self.missing = self._missing_policy()
        self.direction = np.array([i.direction for i in self.indicators], dtype=float)
        self.norms = [self._norm_of(i) for i in self.indicators]
        self._check_geometric()
        rule = CredibilityRule.from_options(options.credibility)
        self.credibility_rule = rule
        rate = (
            table.discrepancy[self.order] if table.discrepancy is not None else np.full(n, np.nan)
        )
        self.credibility = rule.multiplier(rate) if rule else None
        self.self_check_cols = np.array(
            [j for j, i in enumerate(self.indicators) if i.source == "self_check"], dtype=int
        )
        self.nodes: list[Node] = scheme.nodes()
        self.base_weights: dict[str, np.ndarray] = {}
        self.unit_weights: dict[str, np.ndarray] = {}
        self.ahp: dict[str, dict] = {}

    # ---- preparation -------------------------------------------------------------

    def _ratios(self, table: Table) -> None:
        for j, ind in enumerate(self.indicators):
            t = ind.transform
            fields = table.fields.get(ind.id, {})
            if t is None or t.kind != "ratio" or not fields:
                continue
            if t.numerator not in fields or t.denominator not in fields:
                raise EngineError(
                    f"ratio {ind.id} needs fields {t.numerator} and {t.denominator}",
                    {ind.id: ["missing reported field"]},
                )
            num, den = fields[t.numerator][self.order], fields[t.denominator][self.order]
            with np.errstate(invalid="ignore", divide="ignore"):
                self.x_input[:, j] = np.where(den != 0, num / den, np.nan)

    def _excluded(self) -> np.ndarray:
        out = np.zeros(self.x_input.shape, dtype=bool)
        under = _descendant_leaves(self.scheme.root)
        for ov in self.scheme.overrides:
            rows = np.array([g == ov.peer_group for g in self.groups])
            for node_id in ov.exclude:
                for leaf in under.get(node_id, [node_id]):
                    if leaf in self.col:
                        out[rows, self.col[leaf]] = True
        return out

    def _shrink(self) -> dict[str, dict]:
        out = {}
        for j, ind in enumerate(self.indicators):
            method = ind.shrinkage or (self.options.fay_herriot if ind.source == "poll" else None)
            if not method:
                continue
            rows = np.flatnonzero(~np.isnan(self.x0[:, j]) & ~np.isnan(self.se0[:, j]))
            if rows.size < 3:
                raise EngineError(
                    f"Fay–Herriot for {ind.id} needs at least 3 units with a value and an SE",
                    {ind.id: [f"{rows.size} usable units"]},
                )
            groups = self.group_index[rows]
            present = np.unique(groups)
            design = (groups[:, None] == present[None, :]).astype(float)
            target = "peer-group mean"
            if rows.size <= design.shape[1]:
                design, target = np.ones((rows.size, 1)), "overall mean (too few units per group)"
            f = fay_herriot.fit(self.x0[rows, j], self.se0[rows, j] ** 2, design, method)
            self.x0[rows, j] = f.eblup
            self.se0[rows, j] = np.sqrt(f.mse)
            gamma = np.full(len(self.units), np.nan)
            gamma[rows] = f.gamma
            mse = np.full(len(self.units), np.nan)
            mse[rows] = f.mse
            out[ind.id] = {
                "method": method,
                "toward": target,
                "sigma2_v": f.sigma2_v,
                "beta": f.beta.tolist(),
                "loglik": f.loglik,
                "converged": f.converged,
                "iterations": f.iterations,
                "gamma": gamma,
                "mse": mse,
            }
        return out

    def _missing_policy(self) -> MissingRecord:
        record = MissingRecord(actions=[[] for _ in self.units])
        policy = self.scheme.missing
        missing = np.isnan(self.x0) & ~self.excluded
        for u, j in zip(*np.nonzero(self.excluded), strict=True):
            record.actions[u].append({"indicator": self.indicators[j].id, "action": "excluded"})
        if not missing.any():
            return record
        if policy == "fail":
            errors: dict[str, list[str]] = {}
            for u, j in zip(*np.nonzero(missing), strict=True):
                errors.setdefault(f"unit {self.units[u]}", []).append(
                    f"no value for {self.indicators[j].id}"
                )
            raise EngineError("values are missing and the scheme's policy is 'fail'", errors)
        for u, j in zip(*np.nonzero(missing), strict=True):
            ind = self.indicators[j].id
            if policy == "reweight":
                record.actions[u].append({"indicator": ind, "action": "reweighted"})
                continue
            seg = self.segments[self.group_index[u]]
            peers = self.x0[seg, j]
            peers = peers[~np.isnan(peers)]
            if peers.size == 0:
                raise EngineError(
                    f"cannot impute {ind}: no unit of group {self.groups[u]} has a value",
                    {f"unit {self.units[u]}": [f"no peer value for {ind}"]},
                )
            stat = "mean" if policy == "impute_group_mean" else "median"
            value = float(np.mean(peers) if stat == "mean" else np.median(peers))
            record.actions[u].append(
                {"indicator": ind, "action": f"imputed_group_{stat}", "value": value}
            )
        if policy != "reweight":
            for u, j in zip(*np.nonzero(missing), strict=True):
                self.x0[u, j] = next(
                    a["value"]
                    for a in record.actions[u]
                    if a["indicator"] == self.indicators[j].id and "value" in a
                )
        return record

    def _norm_of(self, ind: Indicator) -> Normalisation:
        norm = ind.normalisation
        if self.options.normalisation:
            method = self.options.normalisation
            if method == "goalposts" and norm.method != "goalposts":
                raise EngineError(
                    "goalposts cannot replace a method without bounds", {"normalisation": [method]}
                )
            norm = replace(norm, method=method)
        return norm

    def _check_geometric(self) -> None:
        for node in self.scheme.nodes():
            if node.aggregation != "geometric":
                continue
            for child in node.children:
                if isinstance(child, Indicator) and self.norms[self.col[child.id]].method in (
                    "zscore",
                    "robust_z",
                ):
                    raise EngineError(
                        f"node {node.id} aggregates geometrically but {child.id} is normalised by "
                        f"{self.norms[self.col[child.id]].method}, which is not positive",
                        {
                            node.id: [
                                "use tscore, minmax, goalposts or percentile under a geometric mean"
                            ]
                        },
                    )

    # ---- evaluation ---------------------------------------------------------------

    def evaluate(
        self, x: np.ndarray, point: bool = False
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Node scores {node id: (D, N)} and normalised indicators (D, N, K) of values x.

        ``x`` (D, N, K) is modified in place. Node weights must be fixed already, except
        on the first (point) call, which fixes them.
        """
        self._transform(x, point)
        x *= self.direction
        s = self._normalise(x)
        if (
            self.credibility is not None
            and self.credibility_rule.mode == "value"
            and self.self_check_cols.size
        ):
            self._discount_values(s)
        scores: dict[str, np.ndarray] = {}
        for node in self.nodes:
            vals = self._children_values(node, s, scores)
            if node.id not in self.unit_weights:
                self._fix_weights(node, vals[0])
            scores[node.id] = aggregate(
                vals, self.unit_weights[node.id], node.aggregation, self.options.geometric_floor
            )
        return scores, s

    def _transform(self, x: np.ndarray, point: bool) -> None:
        for j, ind in enumerate(self.indicators):
            t = ind.transform
            if t is None:
                continue
            if t.kind == "cap":
                np.minimum(x[..., j], t.value, out=x[..., j])
            elif t.kind == "log":
                col = x[..., j]
                if point and np.any(col[~np.isnan(col)] <= 0):
                    raise EngineError(
                        f"log transform of {ind.id} needs positive values", {ind.id: ["value ≤ 0"]}
                    )
                x[..., j] = np.log(np.maximum(col, LOG_FLOOR))

    def _normalise(self, x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        plans: dict[tuple, list[int]] = {}
        for j, norm in enumerate(self.norms):
            key = (norm, self.direction[j] if norm.method == "goalposts" else 1.0)
            plans.setdefault(key, []).append(j)
        for (norm, direction), cols in plans.items():
            out[..., cols] = self._apply(x[..., cols], norm, direction)
        for ov in self.scheme.overrides:
            if ov.peer_group not in self.group_codes:
                continue
            seg = self.segments[self.group_codes.index(ov.peer_group)]
            for ind_id, norm in ov.normalisation.items():
                if ind_id in self.col:
                    j = self.col[ind_id]
                    out[..., seg, j] = self._apply(x[..., [j]], norm, self.direction[j])[
                        ..., seg, 0
                    ]
        return out

    def _apply(self, x: np.ndarray, norm: Normalisation, direction: float) -> np.ndarray:
        if norm.method == "none":
            return x.copy()
        if norm.method == "goalposts":
            lo, hi = (norm.lower, norm.upper) if direction > 0 else (-norm.upper, -norm.lower)
            return normalise.goalposts(x, lo, hi)
        scopes = [slice(0, x.shape[-2])] if norm.scope == "all" else self.segments
        out = np.empty_like(x)
        for seg in scopes:
            part = x[..., seg, :]
            if norm.winsorise:
                part = normalise.winsorise(part, norm.winsorise, 1.0 - norm.winsorise)
            out[..., seg, :] = normalise.normalise(part, _ENGINE_METHOD[norm.method])
        return out

    def _discount_values(self, s: np.ndarray) -> None:
        c = self.credibility[:, None]
        cols = self.self_check_cols
        part = s[..., cols]
        floor = np.empty_like(part)
        for seg in self.segments:
            floor[..., seg, :] = (
                np.nanmin(part[..., seg, :], axis=-2, keepdims=True)
                if part[..., seg, :].size
                else 0
            )
        s[..., cols] = c * part + (1.0 - c) * floor

    def _children_values(self, node: Node, s: np.ndarray, scores: dict) -> np.ndarray:
        if all(isinstance(c, Indicator) for c in node.children):
            return s[..., [self.col[c.id] for c in node.children]]
        return np.stack(
            [
                scores[c.id] if isinstance(c, Node) else s[..., self.col[c.id]]
                for c in node.children
            ],
            axis=-1,
        )

    def _fix_weights(self, node: Node, point_values: np.ndarray) -> None:
        method = self.options.weighting or node.weighting
        ids = [c.id for c in node.children]
        if method == "expert":
            base = weights.expert(
                [c.weight if c.weight is not None else np.nan for c in node.children]
            )
        elif method == "equal":
            base = weights.equal(len(ids))
        elif method == "ahp":
            if node.matrix is None:
                raise EngineError(f"node {node.id} has no AHP matrix", {node.id: ["no matrix"]})
            res = weights.ahp(node.matrix, node.ri_table)
            base = res.weights
            self.ahp[node.id] = {
                "lambda_max": res.lambda_max,
                "ci": res.ci,
                "ri": res.ri,
                "cr": res.cr,
                "ri_table": res.ri_table,
            }
        elif method == "entropy":
            base = weights.entropy(point_values)
        elif method == "critic":
            base = weights.critic(point_values)
        else:
            raise EngineError(f"unknown weighting {method!r}", {node.id: [method]})
        self.base_weights[node.id] = base
        w = np.tile(base, (len(self.units), 1))
        for ov in self.scheme.overrides:
            if ov.peer_group in self.group_codes:
                seg = self.segments[self.group_codes.index(ov.peer_group)]
                for c, cid in enumerate(ids):
                    if cid in ov.weights:
                        w[seg, c] = ov.weights[cid]
        if self.credibility is not None and self.credibility_rule.mode == "weight":
            for c, child in enumerate(node.children):
                if isinstance(child, Indicator) and child.source == "self_check":
                    w[:, c] *= self.credibility
        total = w.sum(axis=1, keepdims=True)
        self.unit_weights[node.id] = np.divide(w, total, out=np.zeros_like(w), where=total > 0)


_ENGINE_METHOD = {
    "zscore": "z",
    "tscore": "t",
    "robust_z": "robust_z",
    "minmax": "min_max",
    "percentile": "percentile",
}


def aggregate(vals: np.ndarray, w: np.ndarray, method: str, floor: float) -> np.ndarray:
    """Weighted arithmetic or geometric mean over the last axis with per-unit weights
    ``w`` (N, children); missing children drop out and the present ones are re-weighted.
    The geometric mean floors its inputs at ``floor`` (> 0)."""
    if method == "geometric":
        vals = np.log(np.maximum(vals, floor))
    present = ~np.isnan(vals)
    if present.all():
        out = np.einsum("...nc,nc->...n", vals, w)
    else:
        num = np.einsum("...nc,nc->...n", np.where(present, vals, 0.0), w)
        den = np.einsum("...nc,nc->...n", present.astype(float), w)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / den, np.nan)
    return np.exp(out) if method == "geometric" else out


def _segments(groups: list[str], codes: list[str]) -> list[slice]:
    counts = Counter(groups)
    out, start = [], 0
    for code in codes:
        out.append(slice(start, start + counts[code]))
        start += counts[code]
    return out


def _descendant_leaves(node: Node) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}

    def walk(n) -> list[str]:
        if isinstance(n, Indicator):
            return [n.id]
        leaves = [leaf for c in n.children for leaf in walk(c)]
        out[n.id] = leaves
        return leaves

    walk(node)
    return out
